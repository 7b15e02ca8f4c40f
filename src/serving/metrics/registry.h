// Registry: labelled metric families and their Prometheus text exposition (format version 0.0.4).
//
// A family has a name, help text and fixed label names; Get(label values) returns the child metric for those
// values, creating it on first use. Children live as long as the registry and never move, so callers on a hot
// path may cache the pointer; an uncached Get() costs one shared-lock hash lookup and no allocation once the
// child exists (the key is built in a thread-local buffer).
// Text(): "# HELP", "# TYPE" and one sample line per child (histograms: _bucket{le=...}, _sum, _count), families
// in registration order, children sorted by label values, label values escaped (\\, \", \n).
// Thread-safety: every method may be called concurrently.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "serving/metrics/metric.h"

namespace reco::serving::metrics {

enum class MetricKind { kCounter, kGauge, kHistogram };

template <typename M>
class Family;

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, MetricKind kind)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), kind_(kind) {}
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const { return name_; }
  MetricKind kind() const { return kind_; }
  // Appends this family's exposition text to `out`.
  virtual void AppendText(std::string* out) const = 0;

 protected:
  // `{a="x",b="y"}` for the key's values, plus `extra` (e.g. `le="0.5"`) if non-empty.
  std::string LabelText(const std::string& key, std::string_view extra = {}) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const MetricKind kind_;
};

template <typename M>
class Family final : public FamilyBase {
 public:
  // `bounds` is used by histogram families only.
  Family(std::string name, std::string help, std::vector<std::string> label_names, MetricKind kind,
         std::vector<double> bounds)
      : FamilyBase(std::move(name), std::move(help), std::move(label_names), kind), bounds_(std::move(bounds)) {}

  // Returns the child for `values` (one per label name; missing values are "" and extras are ignored).
  M& Get(std::initializer_list<std::string_view> values);
  void AppendText(std::string* out) const override;

 private:
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<M>> children_;  // GUARDED_BY(mu_); key: joined label values
  const std::vector<double> bounds_;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering a name twice returns the first family (its kind and labels win).
  Family<Counter>& AddCounter(const std::string& name, const std::string& help, std::vector<std::string> labels);
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help, std::vector<std::string> labels);
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                                  std::vector<double> bounds);

  // The whole registry in Prometheus text format ("text/plain; version=0.0.4").
  std::string Text() const;

 private:
  template <typename M>
  Family<M>& Add(const std::string& name, const std::string& help, std::vector<std::string> labels, MetricKind kind,
                 std::vector<double> bounds = {});

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<FamilyBase>> families_;  // GUARDED_BY(mu_), registration order
};

// Formats a sample value as Prometheus expects: integers without exponent, "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);

}  // namespace reco::serving::metrics
