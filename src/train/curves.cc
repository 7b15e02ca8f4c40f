#include "train/curves.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

namespace reco::train {
namespace {

constexpr int kWidth = 640;
constexpr int kPanelHeight = 260;
constexpr int kLeft = 60, kRight = 150, kTop = 40, kBottom = 40;
constexpr const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

size_t MaxLength(const std::vector<Panel>& panels) {
  size_t n = 0;
  for (const auto& p : panels)
    for (const auto& s : p.series) n = std::max(n, s.values.size());
  return n;
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return NotFoundError("cannot write " + path);
  out << text;
  out.close();
  if (!out) return InternalError("error writing " + path);
  return Status::Ok();
}

void RenderPanel(std::string& svg, const Panel& panel, int y0, size_t epochs) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const auto& s : panel.series)
    for (double v : s.values)
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (hi - lo < 1e-9) lo -= 0.5, hi += 0.5;
  const double pad = (hi - lo) * 0.08;
  lo -= pad, hi += pad;
  const int pw = kWidth - kLeft - kRight, ph = kPanelHeight - kTop - kBottom;
  auto X = [&](size_t i) { return kLeft + (epochs <= 1 ? pw / 2.0 : pw * static_cast<double>(i) / (epochs - 1)); };
  auto Y = [&](double v) { return y0 + kTop + ph * (1.0 - (v - lo) / (hi - lo)); };
  svg += "<text x='" + std::to_string(kLeft) + "' y='" + std::to_string(y0 + 24) +
         "' font-size='14' font-weight='bold'>" + Escape(panel.title) + "</text>\n";
  svg += "<rect x='" + std::to_string(kLeft) + "' y='" + std::to_string(y0 + kTop) + "' width='" +
         std::to_string(pw) + "' height='" + std::to_string(ph) + "' fill='none' stroke='#888'/>\n";
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4.0;
    svg += "<line x1='" + std::to_string(kLeft) + "' x2='" + std::to_string(kLeft + pw) + "' y1='" +
           Fmt("%.1f", Y(v)) + "' y2='" + Fmt("%.1f", Y(v)) + "' stroke='#eee'/>\n";
    svg += "<text x='" + std::to_string(kLeft - 6) + "' y='" + Fmt("%.1f", Y(v) + 4) +
           "' font-size='11' text-anchor='end'>" + Fmt("%.3g", v) + "</text>\n";
  }
  for (size_t i = 0; i < epochs; ++i) {
    svg += "<text x='" + Fmt("%.1f", X(i)) + "' y='" + std::to_string(y0 + kTop + ph + 16) +
           "' font-size='11' text-anchor='middle'>" + std::to_string(i + 1) + "</text>\n";
  }
  svg += "<text x='" + std::to_string(kLeft + pw / 2) + "' y='" + std::to_string(y0 + kPanelHeight - 6) +
         "' font-size='11' text-anchor='middle'>epoch</text>\n";
  for (size_t k = 0; k < panel.series.size(); ++k) {
    const auto& s = panel.series[k];
    const char* color = kColors[k % std::size(kColors)];
    std::string points;
    for (size_t i = 0; i < s.values.size(); ++i) {
      if (!std::isfinite(s.values[i])) continue;
      points += Fmt("%.1f", X(i)) + "," + Fmt("%.1f", Y(s.values[i])) + " ";
      svg += "<circle cx='" + Fmt("%.1f", X(i)) + "' cy='" + Fmt("%.1f", Y(s.values[i])) + "' r='3' fill='" + color +
             "'><title>" + Escape(s.name) + " epoch " + std::to_string(i + 1) + ": " + Fmt("%.4f", s.values[i]) +
             "</title></circle>\n";
    }
    svg += "<polyline fill='none' stroke='" + std::string(color) + "' stroke-width='2' points='" + points + "'/>\n";
    const int ly = y0 + kTop + 14 + static_cast<int>(k) * 18;
    svg += "<line x1='" + std::to_string(kLeft + pw + 12) + "' x2='" + std::to_string(kLeft + pw + 32) + "' y1='" +
           std::to_string(ly - 4) + "' y2='" + std::to_string(ly - 4) + "' stroke='" + color + "' stroke-width='2'/>\n";
    svg += "<text x='" + std::to_string(kLeft + pw + 38) + "' y='" + std::to_string(ly) + "' font-size='12'>" +
           Escape(s.name) + "</text>\n";
  }
}

}  // namespace

std::string RenderCurvesSvg(const std::string& title, const std::vector<Panel>& panels) {
  const size_t epochs = MaxLength(panels);
  const int height = 30 + kPanelHeight * static_cast<int>(panels.size());
  std::string svg = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(kWidth) + "' height='" +
                    std::to_string(height) + "' font-family='sans-serif'>\n<rect width='100%' height='100%' fill='white'/>\n";
  svg += "<text x='" + std::to_string(kWidth / 2) + "' y='20' font-size='16' text-anchor='middle'>" + Escape(title) +
         "</text>\n";
  for (size_t p = 0; p < panels.size(); ++p) RenderPanel(svg, panels[p], 30 + static_cast<int>(p) * kPanelHeight, epochs);
  svg += "</svg>\n";
  return svg;
}

Status WriteCurvesSvg(const std::string& path, const std::string& title, const std::vector<Panel>& panels) {
  return WriteFile(path, RenderCurvesSvg(title, panels));
}

Status WriteCurvesCsv(const std::string& path, const std::vector<Panel>& panels) {
  std::string csv = "epoch";
  std::vector<const Series*> cols;
  for (const auto& p : panels)
    for (const auto& s : p.series) cols.push_back(&s), csv += "," + s.name;
  csv += "\n";
  const size_t epochs = MaxLength(panels);
  for (size_t i = 0; i < epochs; ++i) {
    csv += std::to_string(i + 1);
    for (const Series* s : cols) csv += "," + (i < s->values.size() ? Fmt("%.6g", s->values[i]) : std::string());
    csv += "\n";
  }
  return WriteFile(path, csv);
}

}  // namespace reco::train
