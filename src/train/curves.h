// Training curves: per-epoch series written as CSV (for scripts) and as a self-contained SVG plot (for people).
// Thread-safety: free functions.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace reco::train {

struct Series {
  std::string name;            // column / legend name, e.g. "train_loss"
  std::vector<double> values;  // one per epoch
};

// A plot panel groups series that share a y axis (e.g. losses in one, accuracies in another).
struct Panel {
  std::string title;
  std::vector<Series> series;
};

// CSV with an "epoch" column (1-based) followed by every series of every panel.
Status WriteCurvesCsv(const std::string& path, const std::vector<Panel>& panels);
// An SVG with one chart per panel, stacked vertically; axes, ticks and a legend.
Status WriteCurvesSvg(const std::string& path, const std::string& title, const std::vector<Panel>& panels);
std::string RenderCurvesSvg(const std::string& title, const std::vector<Panel>& panels);

}  // namespace reco::train
