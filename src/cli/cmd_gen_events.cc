// reco gen-events --users N --items M --categories C --days D --seed S --out FILE
//
// Writes a synthetic Taobao UserBehavior CSV (see data/events_generator.h for the model of shoppers), streaming,
// so 100M events need no more memory than 10k.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "data/events_generator.h"

namespace reco::cli {
namespace {

struct GenEventsArgs {
  data::EventGeneratorOptions options;
  std::string out;
  bool quiet = false;
};

RunFn SetupGenEvents(CLI::App& sub) {
  auto args = std::make_shared<GenEventsArgs>();
  auto& o = args->options;
  sub.add_option("--users", o.users, "number of users (ids 1..N)")->check(kPositive)->capture_default_str();
  sub.add_option("--items", o.items, "number of items (ids 1..M)")->check(kPositive)->capture_default_str();
  sub.add_option("--categories", o.categories, "number of categories (ids 1..C, C <= M)")
      ->check(kPositive)
      ->capture_default_str();
  sub.add_option("--days", o.days, "days of activity from 2017-11-25 (Beijing)")->check(CLI::Range(1, 3650))->capture_default_str();
  sub.add_option("--seed", o.seed, "random seed (output is a pure function of the options)")->capture_default_str();
  sub.add_option("--events-per-day", o.mean_events_per_day, "mean events of an active user on an active day")
      ->check(kPositive)
      ->capture_default_str();
  sub.add_option("--item-zipf", o.item_zipf, "Zipf exponent of item popularity")->check(kNonNegative)->capture_default_str();
  sub.add_option("--drift", o.drift_per_day, "probability per day that one interest of a user changes")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  sub.add_option("--out", args->out, "CSV file to write (user_id,item_id,category_id,behavior_type,timestamp)")->required();
  sub.add_flag("--quiet", args->quiet, "no progress output");
  return [args]() -> Status {
    args->options.progress = !args->quiet;
    data::EventGeneratorStats st;
    RETURN_IF_ERROR(data::GenerateEventsToFile(args->options, args->out, &st));
    const double n = st.events > 0 ? static_cast<double>(st.events) : 1.0;
    std::printf("wrote %s: %lld events (pv %.1f%%, cart %.1f%%, fav %.1f%%, buy %.1f%%), %lld active users, %.1f MB\n",
                args->out.c_str(), static_cast<long long>(st.events), 100.0 * st.by_type[0] / n, 100.0 * st.by_type[1] / n,
                100.0 * st.by_type[2] / n, 100.0 * st.by_type[3] / n, static_cast<long long>(st.active_users),
                static_cast<double>(st.bytes) / 1e6);
    return Status::Ok();
  };
}

}  // namespace

RECO_REGISTER_COMMAND(gen_events, "gen-events", "write a synthetic Taobao-format behaviour log (CSV)", SetupGenEvents, 40);

}  // namespace reco::cli
