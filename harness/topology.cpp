#include "harness/topology.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "harness/os/affinity.hpp"
#include "harness/repeat.hpp"
#include "harness/parse.hpp"
#include "harness/sweep.hpp"
#include "harness/table.hpp"

namespace ipcbench::topo {

using nlohmann::json;

namespace {
std::optional<std::string> first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == ' ' || line.back() == '\n' || line.back() == '\r')) line.pop_back();
  return line;
}

std::optional<int> read_int(const std::string& path) {
  auto text = first_line(path);
  if (!text || text->empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    int v = std::stoi(*text, &used);
    if (used != text->size()) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::vector<int>> read_cpu_list(const std::string& path) {
  auto text = first_line(path);
  if (!text) return std::nullopt;
  try {
    return os::parse_cpu_list(*text);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Numbers the distinct CPU sets in the order of their lowest CPU.
std::vector<std::optional<int>> ordinals(const std::vector<std::optional<std::vector<int>>>& sets) {
  std::set<std::vector<int>> distinct;
  for (const auto& s : sets)
    if (s) distinct.insert(*s);
  std::vector<std::vector<int>> order(distinct.begin(), distinct.end());
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.front() < b.front(); });
  std::vector<std::optional<int>> out;
  for (const auto& s : sets) {
    if (!s) {
      out.emplace_back();
      continue;
    }
    out.emplace_back(static_cast<int>(std::find(order.begin(), order.end(), *s) - order.begin()));
  }
  return out;
}

}  // namespace

const CpuInfo* Topology::find(int cpu) const {
  // cpus is in CPU order: pair_class is called for every pair of hundreds of CPUs.
  auto it = std::lower_bound(cpus.begin(), cpus.end(), cpu, [](const CpuInfo& c, int v) { return c.cpu < v; });
  return it != cpus.end() && it->cpu == cpu ? &*it : nullptr;
}

Topology read_topology(const std::string& sys_root) {
  namespace fs = std::filesystem;
  Topology t;
  t.root = sys_root;
  const std::string cpu_dir = sys_root + "/devices/system/cpu/";
  std::vector<int> online;
  if (auto list = read_cpu_list(cpu_dir + "online")) online = *list;
  if (online.empty()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(cpu_dir, ec)) {
      const auto name = e.path().filename().string();
      if (name.size() > 3 && name.starts_with("cpu") &&
          std::all_of(name.begin() + 3, name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        online.push_back(std::stoi(name.substr(3)));
    }
    std::sort(online.begin(), online.end());
  }

  std::vector<std::optional<std::vector<int>>> l2_sets, llc_sets;
  bool every_cache = !online.empty(), every_package = !online.empty();
  for (int cpu : online) {
    CpuInfo c;
    c.cpu = cpu;
    const std::string base = cpu_dir + "cpu" + std::to_string(cpu) + "/";
    auto id = [&](const char* file) -> std::optional<int> {
      auto v = read_int(base + "topology/" + file);
      if (v && *v < 0) return std::nullopt;  // -1: the kernel does not know
      return v;
    };
    c.package = id("physical_package_id");
    c.die = id("die_id");
    c.cluster = id("cluster_id");
    if (c.cluster && *c.cluster == 65535) c.cluster.reset();  // 0xffff: no cluster information
    c.core = id("core_id");
    if (auto s = read_cpu_list(base + "topology/thread_siblings_list"); s && contains(*s, cpu)) c.siblings = *s;
    every_package &= c.package.has_value();

    std::optional<std::vector<int>> l2, llc;
    for (int i = 0; i < 16; ++i) {
      const std::string idx = base + "cache/index" + std::to_string(i) + "/";
      auto level = read_int(idx + "level");
      if (!level) {
        if (!fs::exists(idx)) break;
        continue;
      }
      if (first_line(idx + "type").value_or("") == "Instruction") continue;
      auto shared = read_cpu_list(idx + "shared_cpu_list");
      if (!shared || !contains(*shared, cpu)) continue;
      if (*level == 2) l2 = shared;
      if (*level > c.llc_level) {
        c.llc_level = *level;
        llc = shared;
      }
    }
    every_cache &= llc.has_value();
    l2_sets.push_back(l2);
    llc_sets.push_back(llc);
    t.cpus.push_back(std::move(c));
  }
  t.cache_info = every_cache;
  t.package_info = every_package;
  if (t.cache_info) {
    auto l2_ids = ordinals(l2_sets), llc_ids = ordinals(llc_sets);
    for (std::size_t i = 0; i < t.cpus.size(); ++i) {
      t.cpus[i].l2 = l2_ids[i];
      t.cpus[i].llc = llc_ids[i];
    }
  } else {
    for (auto& c : t.cpus) c.llc_level = 0;
  }

  // NUMA nodes: nodeN/cpulist for every nodeN directory.
  const std::string node_dir = sys_root + "/devices/system/node/";
  std::error_code ec;
  bool any_node = false;
  for (const auto& e : fs::directory_iterator(node_dir, ec)) {
    const auto name = e.path().filename().string();
    if (name.size() <= 4 || !name.starts_with("node") ||
        !std::all_of(name.begin() + 4, name.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      continue;
    auto list = read_cpu_list(e.path().string() + "/cpulist");
    if (!list) continue;
    any_node = true;
    for (int cpu : *list)
      for (auto& c : t.cpus)
        if (c.cpu == cpu) c.node = std::stoi(name.substr(4));
  }
  t.numa_info = any_node && std::all_of(t.cpus.begin(), t.cpus.end(), [](const CpuInfo& c) { return c.node.has_value(); });

  // Hybrid parts (Intel P/E cores) list their core types as two PMUs.
  for (const char* type : {"core", "atom"}) {
    auto list = read_cpu_list(sys_root + "/devices/cpu_" + type + "/cpus");
    if (!list) continue;
    t.hybrid = true;
    for (auto& c : t.cpus)
      if (contains(*list, c.cpu)) c.core_type = type;
  }

  if (!t.cache_info)
    t.unknown.push_back("caches: " + cpu_dir + "cpuN/cache/ is absent or incomplete (usual in a VM), so pairs of "
                        "different cores cannot be told apart by the caches they share: shared-l2, shared-llc and "
                        "cross-llc are not known here, and such pairs are labelled cross-core");
  if (!t.numa_info)
    t.unknown.push_back("NUMA: " + node_dir + "nodeN/cpulist does not cover every CPU, so cross-numa is not known here");
  if (!t.package_info)
    t.unknown.push_back("packages: topology/physical_package_id is missing for some CPU, so cross-socket is not known here");
  if (std::any_of(t.cpus.begin(), t.cpus.end(), [](const CpuInfo& c) { return c.siblings.empty(); }))
    t.unknown.push_back("SMT: topology/thread_siblings_list is missing for some CPU; siblings are taken from "
                        "package and core_id where both are known");
  return t;
}

const Topology& system_topology() {
  static const Topology t = read_topology("/sys");
  return t;
}

std::string pair_class(const Topology& t, int a, int b) {
  if (a == b) return "same-core";
  const CpuInfo* x = t.find(a);
  const CpuInfo* y = t.find(b);
  if (!x || !y) return std::string(kCrossCore);
  if (!x->siblings.empty() ? contains(x->siblings, b)
                           : (x->package && x->core && x->package == y->package && x->core == y->core))
    return "smt-sibling";
  if (t.cache_info) {
    if (x->l2 && x->l2 == y->l2) return "shared-l2";
    if (x->llc && x->llc == y->llc) return "shared-llc";
  }
  if (x->package && y->package && x->package != y->package) return "cross-socket";
  if (x->node && y->node && x->node != y->node) return "cross-numa";
  return t.cache_info ? "cross-llc" : std::string(kCrossCore);
}

bool is_placement_name(std::string_view name) {
  return name == kCrossCore || std::find(std::begin(kClasses), std::end(kClasses), name) != std::end(kClasses);
}

std::string placement_names() {
  std::string s;
  for (auto c : kClasses) s += std::string(s.empty() ? "" : ", ") + std::string(c);
  return s + ", " + std::string(kCrossCore);
}

std::string_view class_summary(std::string_view name) {
  for (const auto& e : placement_table())
    if (e.name == name) return e.summary;
  return "";
}

namespace {
bool class_matches(const Topology& t, std::string_view name, int a, int b) {
  const std::string cls = pair_class(t, a, b);
  if (name == kCrossCore) return cls != "same-core" && cls != "smt-sibling";
  return cls == name;
}

std::string absent_reason(const Topology& t, std::string_view name, const std::vector<int>& allowed) {
  if (allowed.empty()) return "no CPU is allowed for this process";
  const std::string n = "allowed CPUs: " + os::format_cpu_list(allowed);
  if (allowed.size() < 2) return "only one CPU is allowed; " + n;
  if (name == "smt-sibling") return "no two allowed CPUs are SMT siblings, SMT is off or absent; " + n;
  if (name == kCrossCore) return "fewer than two allowed CPUs on different cores; " + n;
  if ((name == "shared-l2" || name == "shared-llc" || name == "cross-llc") && !t.cache_info)
    return "no cache information in sysfs, " + t.root + "/devices/system/cpu/cpuN/cache is absent: pairs of "
           "different cores are cross-core";
  if (name == "shared-l2") return "no two allowed CPUs of different cores share an L2 cache";
  if (name == "shared-llc") return "no two allowed CPUs share a last-level cache without also sharing an L2";
  if (name == "cross-llc") return "the allowed CPUs of each package and NUMA node share one last-level cache";
  if (name == "cross-numa")
    return t.numa_info ? "no package holds allowed CPUs of two NUMA nodes"
                       : "no NUMA information in sysfs, " + t.root + "/devices/system/node";
  if (name == "cross-socket")
    return t.package_info ? "all allowed CPUs are in one package (socket)" : "the packages are not known";
  return "no pair of allowed CPUs is of this class";
}
}  // namespace

std::optional<CpuPair> representative(const Topology& t, std::string_view name, const std::vector<int>& allowed,
                                      std::string* why_not) {
  if (!allowed.empty() && name == "same-core") return CpuPair{allowed.front(), allowed.front()};
  for (int a : allowed)
    for (int b : allowed)
      if (a != b && class_matches(t, name, a, b)) return CpuPair{a, b};
  if (why_not) *why_not = absent_reason(t, name, allowed);
  return std::nullopt;
}

json topology_json(const Topology& t, const std::vector<int>& allowed) {
  auto opt = [](const std::optional<int>& v) { return v ? json(*v) : json(nullptr); };
  json cpus = json::array();
  for (const auto& c : t.cpus)
    cpus.push_back({{"cpu", c.cpu},
                    {"package", opt(c.package)},
                    {"die", opt(c.die)},
                    {"cluster", opt(c.cluster)},
                    {"core", opt(c.core)},
                    {"node", opt(c.node)},
                    {"siblings", c.siblings},
                    {"l2", opt(c.l2)},
                    {"llc", opt(c.llc)},
                    {"llc_level", c.llc_level ? json(c.llc_level) : json(nullptr)},
                    {"core_type", c.core_type.empty() ? json(nullptr) : json(c.core_type)}});

  // Unordered pairs among the allowed CPUs by class; a list that would be long is cut (pairs_total says so).
  constexpr std::size_t kListed = 32;
  std::map<std::string, std::vector<std::pair<int, int>>> by;
  std::map<std::string, std::size_t> total;
  for (std::size_t i = 0; i < allowed.size(); ++i)
    for (std::size_t j = i + 1; j < allowed.size(); ++j) {
      auto cls = pair_class(t, allowed[i], allowed[j]);
      if (++total[cls] <= kListed) by[cls].emplace_back(allowed[i], allowed[j]);
    }
  json present = json::array(), absent = json::array();
  std::vector<std::string> names(std::begin(kClasses), std::end(kClasses));
  names.emplace_back(kCrossCore);
  for (const auto& name : names) {
    std::string why;
    auto rep = representative(t, name, allowed, &why);
    const bool is_class = name != kCrossCore || !t.cache_info;  // with caches known, cross-core is only a name
    if (rep && (name == "same-core" || total.count(name) || !is_class)) {
      json pairs = json::array();
      if (name == "same-core")
        for (int c : allowed) pairs.push_back({c, c});
      for (auto [a, b] : by[name]) pairs.push_back({a, b});
      json entry = {{"class", name},
                    {"summary", class_summary(name)},
                    {"representative", {{"producer", rep->producer}, {"consumer", rep->consumer}}}};
      if (is_class) {
        entry["pairs"] = pairs;
        entry["pairs_total"] = name == "same-core" ? allowed.size() : total[name];
      } else {
        entry["alias_for"] = "the first allowed pair whose class is not same-core or smt-sibling";
      }
      present.push_back(entry);
    } else if (name != kCrossCore || !t.cache_info) {
      absent.push_back({{"class", name}, {"reason", why}});
    }
  }
  return {{"source", "sysfs"},
          {"root", t.root},
          {"cache_info", t.cache_info},
          {"numa_info", t.numa_info},
          {"package_info", t.package_info},
          {"hybrid", t.hybrid},
          {"cpus", cpus},
          {"allowed", allowed},
          {"classes", present},
          {"absent", absent},
          {"unknown", t.unknown},
          {"note", "classes and pairs are among the allowed CPUs, unordered (producer < consumer); the closest "
                   "level two CPUs share decides their class (same-core < smt-sibling < shared-l2 < shared-llc < "
                   "cross-llc < cross-numa < cross-socket). l2 and llc number the cache domains by their lowest "
                   "CPU. --placement cross-core picks any pair that is not same-core or smt-sibling; its runs "
                   "record the pair's class in placement_class"}};
}

json by_class(const json& runs) {
  struct Group {
    json head;
    std::vector<double> values;
    std::set<std::pair<int, int>> pairs;
  };
  std::vector<std::string> order;
  std::map<std::string, Group> groups;
  for (const auto& r : runs) {
    if (r.value("status", "") != "ok" || !r.contains("placement_class")) continue;
    const bool pingpong = r["pattern"] == "pingpong";
    json head = {{"transport", r["transport"]},
                 {"pattern", r["pattern"]},
                 {"payload_bytes", r["payload_bytes"]},
                 {"wait", r["wait"]},
                 {"mode", r.value("mode", "processes")},
                 {"capacity_requested", r.value("capacity_requested", json(nullptr))},
                 {"placement_class", r["placement_class"]}};
    const std::string key = head.dump();
    auto [it, fresh] = groups.try_emplace(key);
    if (fresh) {
      order.push_back(key);
      it->second.head = head;
    }
    it->second.values.push_back(pingpong ? r["latency"]["rtt_ns"]["p50"].get<double>()
                                         : r["throughput"]["msgs_per_s"].get<double>());
    it->second.pairs.insert({r["cpus"]["producer"].get<int>(), r["cpus"]["consumer"].get<int>()});
  }
  json out = json::array();
  for (const auto& key : order) {
    auto& g = groups[key];
    json e = g.head;
    e["runs"] = g.values.size();
    json pairs = json::array();
    for (auto [a, b] : g.pairs) pairs.push_back({a, b});
    e["pairs"] = pairs;
    const double m = median(g.values);
    if (e["pattern"] == "pingpong") e["p50_rtt_ns"] = m;
    else e["msgs_per_s"] = m;
    e["statistic"] = e["pattern"] == "pingpong" ? "median over the runs of their p50 round trip"
                                                : "median over the runs of their msgs/s";
    out.push_back(e);
  }
  return out;
}

MatrixPlan matrix_pairs(const Topology& t, const std::vector<int>& cpus, std::size_t max_pairs, std::uint64_t seed) {
  MatrixPlan plan;
  std::vector<CpuPair> all;
  for (int a : cpus)
    for (int b : cpus) all.push_back({a, b});
  plan.pairs_total = all.size();
  if (all.size() <= max_pairs) {
    plan.pairs = all;
    return plan;
  }
  plan.sampled = true;
  // Each class's pairs in a seeded random order, then one of each class in turn until the budget is spent.
  std::map<std::string, std::vector<CpuPair>> by;
  std::vector<std::string> classes;
  for (std::size_t i : shuffled_order(all.size(), seed)) {
    auto cls = pair_class(t, all[i].producer, all[i].consumer);
    if (!by.count(cls)) classes.push_back(cls);
    by[cls].push_back(all[i]);
  }
  std::sort(classes.begin(), classes.end(), [](const std::string& a, const std::string& b) {
    auto rank = [](const std::string& c) {
      return std::find(std::begin(kClasses), std::end(kClasses), c) - std::begin(kClasses);
    };
    return rank(a) < rank(b);
  });
  const std::size_t want = std::max(max_pairs, classes.size());
  for (std::size_t round = 0; plan.pairs.size() < want; ++round)
    for (const auto& cls : classes)
      if (round < by[cls].size() && plan.pairs.size() < want) plan.pairs.push_back(by[cls][round]);
  std::sort(plan.pairs.begin(), plan.pairs.end(), [](const CpuPair& a, const CpuPair& b) {
    return std::pair(a.producer, a.consumer) < std::pair(b.producer, b.consumer);
  });
  return plan;
}

json matrix_json(const json& runs, const json& floors, const std::vector<int>& cpus, const MatrixPlan& plan,
                 double budget_s) {
  auto cell_of = [](const json& r, const json& rtt) {
    return json{{"producer", r["cpus"]["producer"]},
                {"consumer", r["cpus"]["consumer"]},
                {"class", r.value("placement_class", r.value("placement", ""))},
                {"p50_ns", rtt["p50"]},
                {"p99_ns", rtt["p99"]}};
  };
  std::vector<std::string> order;
  std::map<std::string, json> matrices;
  for (const auto& r : runs) {
    if (r["pattern"] != "pingpong") continue;
    json head = {{"transport", r["transport"]},
                 {"pattern", "pingpong"},
                 {"payload_bytes", r["payload_bytes"]},
                 {"wait", r["wait"]},
                 {"capacity_requested", r.value("capacity_requested", json(nullptr))}};
    const std::string key = head.dump();
    if (!matrices.count(key)) {
      order.push_back(key);
      head["cells"] = json::array();
      head["missing"] = json::array();
      matrices[key] = head;
    }
    if (r["status"] == "ok") {
      json cell = cell_of(r, r["latency"]["rtt_ns"]);
      cell["run_index"] = r.value("id", 0);
      cell["repetition"] = r.value("repetition", 0);
      matrices[key]["cells"].push_back(cell);
    } else {
      matrices[key]["missing"].push_back({{"producer", r["cpus"]["producer"]},
                                          {"consumer", r["cpus"]["consumer"]},
                                          {"status", r["status"]},
                                          {"reason", r.value("error", "")},
                                          {"run_index", r.value("id", 0)}});
    }
  }
  json floor_cells = json::array();
  for (const auto& f : floors)
    if (f.value("when", "") == "before" && f["status"] == "ok") {
      json cell = cell_of(f, f["rtt_ns"]);
      cell["class"] = f.value("placement_class", f.value("placement", ""));
      floor_cells.push_back(cell);
    }
  json list = json::array();
  for (const auto& k : order) list.push_back(matrices[k]);
  return {{"metric", "p50_rtt_ns"},
          {"cpus", cpus},
          {"pairs_total", plan.pairs_total},
          {"pairs_measured", plan.pairs.size()},
          {"sampled", plan.sampled},
          {"budget_s", budget_s},
          {"note", "cells: one per ordered CPU pair (producer row, consumer column) and repetition, from runs[] "
                   "(run_index = runs[].id); the diagonal is one CPU (same-core: spin yields after a short "
                   "budget). floor_cells: the cache-line floor of each pair, measured before the sweep. With "
                   "sampled true only some pairs were measured (at least one per class)"},
          {"transports", list},
          {"floor_cells", floor_cells}};
}

void print_class_tables(std::ostream& out, const json& report) {
  const json groups = report.value("by_class", json::array());
  std::set<std::string> classes;
  bool several_pairs = false;
  for (const auto& g : groups) {
    classes.insert(g["placement_class"].get<std::string>());
    several_pairs |= g["pairs"].size() > 1;
  }
  if (classes.size() > 1 || several_pairs) {
    out << "\nBy placement class (by_class[]): median over the runs of a class of their p50 round trip / msgs/s\n";
    char b[256];
    std::snprintf(b, sizeof b, "%-13s %-6s %-8s %-5s %-12s %4s %5s  %s\n", "transport", "wait", "pattern", "size",
                  "class", "runs", "pairs", "median");
    out << b;
    for (const auto& g : groups) {
      const bool pingpong = g["pattern"] == "pingpong";
      const std::string value = pingpong ? format_ns(g["p50_rtt_ns"].get<double>()) + " p50"
                                         : format_rate(g["msgs_per_s"].get<double>()) + " msg/s";
      std::snprintf(b, sizeof b, "%-13s %-6s %-8s %-5s %-12s %4zu %5zu  %s\n",
                    g["transport"].get<std::string>().c_str(), g["wait"].get<std::string>().c_str(),
                    g["pattern"].get<std::string>().c_str(),
                    format_size(g["payload_bytes"].get<std::size_t>()).c_str(),
                    g["placement_class"].get<std::string>().c_str(), g["runs"].get<std::size_t>(),
                    g["pairs"].size(), value.c_str());
      out << b;
    }
  }
  if (!report.contains("matrix")) return;
  const auto& m = report["matrix"];
  const auto cpus = m["cpus"].get<std::vector<int>>();
  out << "\nCore-pair matrix (matrix in the JSON): p50 round trip, producer CPU down, consumer CPU across; "
      << m["pairs_measured"].get<std::size_t>() << " of " << m["pairs_total"].get<std::size_t>() << " pairs"
      << (m["sampled"].get<bool>() ? " (sampled per class)" : "") << "\n";
  if (cpus.size() > 16) {
    out << "  (" << cpus.size() << " CPUs: too wide for the console; plot/charts.py draws the heatmaps)\n";
    return;
  }
  auto grid = [&](const std::string& title, const json& cells) {
    std::map<std::pair<int, int>, std::vector<double>> p50;
    for (const auto& c : cells) p50[{c["producer"].get<int>(), c["consumer"].get<int>()}].push_back(c["p50_ns"]);
    out << "  " << title << "\n  " << std::string(6, ' ');
    char b[64];
    for (int c : cpus) {
      std::snprintf(b, sizeof b, "%10s", ("cpu" + std::to_string(c)).c_str());
      out << b;
    }
    out << '\n';
    for (int p : cpus) {
      std::snprintf(b, sizeof b, "  %-6s", ("cpu" + std::to_string(p)).c_str());
      out << b;
      for (int c : cpus) {
        auto it = p50.find({p, c});
        std::snprintf(b, sizeof b, "%10s", it == p50.end() ? "-" : format_ns(median(it->second)).c_str());
        out << b;
      }
      out << '\n';
    }
  };
  for (const auto& t : m["transports"])
    grid(t["transport"].get<std::string>() + "/" + t["wait"].get<std::string>() + " pingpong " +
             format_size(t["payload_bytes"].get<std::size_t>()) + "B",
         t["cells"]);
  grid("cache-line floor (before the sweep)", m["floor_cells"]);
}

}  // namespace ipcbench::topo
