#include "serving/metrics/registry.h"

#include <cmath>
#include <cstdio>

namespace reco::serving::metrics {
namespace {

constexpr char kKeySeparator = '\x1f';  // cannot appear in escaped text we emit and is rare in label values

void AppendEscaped(std::string_view s, bool quote_escape, std::string* out) {
  for (char c : s) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '"' && quote_escape) {
      out->append("\\\"");
    } else {
      out->push_back(c);
    }
  }
}

const char* KindName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter: return "counter";
    case MetricKind::kGauge: return "gauge";
    case MetricKind::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.17g", v);
  }
  return buf;
}

std::string FamilyBase::LabelText(const std::string& key, std::string_view extra) const {
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < label_names_.size(); ++i) {
    const size_t end = key.find(kKeySeparator, pos);
    const std::string_view value =
        end == std::string::npos ? std::string_view() : std::string_view(key).substr(pos, end - pos);
    pos = end == std::string::npos ? key.size() : end + 1;
    out.append(out.empty() ? "{" : ",");
    out.append(label_names_[i]).append("=\"");
    AppendEscaped(value, /*quote_escape=*/true, &out);
    out.push_back('"');
  }
  if (!extra.empty()) out.append(out.empty() ? "{" : ",").append(extra);
  if (!out.empty()) out.push_back('}');
  return out;
}

template <typename M>
M& Family<M>::Get(std::initializer_list<std::string_view> values) {
  // Normalize to exactly one value per label name.
  std::vector<std::string_view> normalized(values.begin(), values.end());
  normalized.resize(label_names_.size());
  thread_local std::string key;
  key.clear();
  for (std::string_view v : normalized) {
    key.append(v);
    key.push_back(kKeySeparator);
  }
  {
    std::shared_lock lock(mu_);
    auto it = children_.find(key);
    if (it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto& slot = children_[key];
  if (!slot) {
    if constexpr (std::is_same_v<M, Histogram>) {
      slot = std::make_unique<Histogram>(bounds_);
    } else {
      slot = std::make_unique<M>();
    }
  }
  return *slot;
}

template <typename M>
void Family<M>::AppendText(std::string* out) const {
  out->append("# HELP ").append(name_).push_back(' ');
  AppendEscaped(help_, /*quote_escape=*/false, out);
  out->append("\n# TYPE ").append(name_).append(" ").append(KindName(kind_)).push_back('\n');
  std::shared_lock lock(mu_);
  for (const auto& [key, metric] : children_) {
    if constexpr (std::is_same_v<M, Histogram>) {
      const Histogram::Snapshot snap = metric->Read();
      for (size_t i = 0; i <= snap.bounds.size(); ++i) {
        const std::string le =
            "le=\"" + (i < snap.bounds.size() ? FormatValue(snap.bounds[i]) : std::string("+Inf")) + "\"";
        out->append(name_).append("_bucket").append(LabelText(key, le)).push_back(' ');
        out->append(FormatValue(static_cast<double>(snap.cumulative_counts[i]))).push_back('\n');
      }
      const std::string labels = LabelText(key);
      out->append(name_).append("_sum").append(labels).append(" ").append(FormatValue(snap.sum)).push_back('\n');
      out->append(name_).append("_count").append(labels).append(" ");
      out->append(FormatValue(static_cast<double>(snap.count))).push_back('\n');
    } else {
      out->append(name_).append(LabelText(key)).append(" ").append(FormatValue(metric->Value())).push_back('\n');
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

template <typename M>
Family<M>& Registry::Add(const std::string& name, const std::string& help, std::vector<std::string> labels,
                         MetricKind kind, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  for (const auto& f : families_) {
    if (f->name() == name) {
      if (auto* same = dynamic_cast<Family<M>*>(f.get())) return *same;
    }
  }
  auto family = std::make_unique<Family<M>>(name, help, std::move(labels), kind, std::move(bounds));
  Family<M>& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

Family<Counter>& Registry::AddCounter(const std::string& name, const std::string& help,
                                      std::vector<std::string> labels) {
  return Add<Counter>(name, help, std::move(labels), MetricKind::kCounter);
}

Family<Gauge>& Registry::AddGauge(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  return Add<Gauge>(name, help, std::move(labels), MetricKind::kGauge);
}

Family<Histogram>& Registry::AddHistogram(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels, std::vector<double> bounds) {
  return Add<Histogram>(name, help, std::move(labels), MetricKind::kHistogram, std::move(bounds));
}

std::string Registry::Text() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) f->AppendText(&out);
  return out;
}

}  // namespace reco::serving::metrics
