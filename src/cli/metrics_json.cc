#include "cli/metrics_json.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cmath>
#include <cstdio>
#include <fstream>

namespace reco::cli {

std::string MetricsToJson(const Metrics& metrics) {
  rapidjson::StringBuffer buf;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
  w.SetIndent(' ', 2);
  w.StartObject();
  for (const auto& [key, value] : metrics) {
    w.Key(key.c_str());
    if (const auto* d = std::get_if<double>(&value)) {
      if (std::isfinite(*d)) {
        w.Double(*d);
      } else {
        w.Null();  // undefined metrics (e.g. AUC of a single-class set) are NaN; JSON has no NaN
      }
    } else if (const auto* i = std::get_if<int64_t>(&value)) {
      w.Int64(*i);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      w.String(s->c_str());
    } else {
      w.SetFormatOptions(rapidjson::kFormatSingleLineArray);
      w.StartArray();
      for (double v : std::get<std::vector<double>>(value)) std::isfinite(v) ? w.Double(v) : w.Null();
      w.EndArray();
      w.SetFormatOptions(rapidjson::kFormatDefault);
    }
  }
  w.EndObject();
  return std::string(buf.GetString()) + "\n";
}

Status WriteMetricsJson(const std::string& path, const Metrics& metrics) {
  if (path.empty()) return Status::Ok();
  const std::string json = MetricsToJson(metrics);
  if (path == "-") {
    std::fputs(json.c_str(), stdout);
    return Status::Ok();
  }
  std::ofstream out(path, std::ios::trunc);
  if (!out) return NotFoundError("cannot write metrics file " + path);
  out << json;
  if (!out.flush()) return InternalError("error writing metrics file " + path);
  return Status::Ok();
}

}  // namespace reco::cli
