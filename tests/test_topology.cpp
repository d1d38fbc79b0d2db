// Topology classes from a sysfs tree the test writes itself: a 2-socket machine with SMT, two L3s per socket and
// a NUMA node per socket; the same with a node per L3 (sub-NUMA clustering); and a tree without cache directories.
#include "harness/topology.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace ipcbench::topo {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text << '\n';
}

std::string list(const std::vector<int>& cpus) {
  std::string s;
  for (int c : cpus) s.append(s.empty() ? "" : ",").append(std::to_string(c));
  return s;
}

// 16 CPUs: cpu c < 8 is thread 0 of core c, cpu c + 8 its sibling. Socket 0 holds cores 0-3, socket 1 cores 4-7;
// each pair of cores (0-1, 2-3, 4-5, 6-7) shares an L3, each core has its own L1 and L2.
struct SyntheticTree {
  fs::path root;
  explicit SyntheticTree(bool caches = true, bool node_per_llc = false) {
    char tmpl[] = "/tmp/ipcbench-topo-XXXXXX";
    root = ::mkdtemp(tmpl);
    const fs::path cpu_dir = root / "devices/system/cpu";
    write(cpu_dir / "online", "0-15");
    for (int cpu = 0; cpu < 16; ++cpu) {
      const int core = cpu % 8, package = core / 4, l3 = core / 2;
      const fs::path d = cpu_dir / ("cpu" + std::to_string(cpu));
      write(d / "topology/physical_package_id", std::to_string(package));
      write(d / "topology/die_id", "0");
      write(d / "topology/cluster_id", "65535");
      write(d / "topology/core_id", std::to_string(core % 4));  // core ids restart in each package
      write(d / "topology/thread_siblings_list", std::to_string(core) + "," + std::to_string(core + 8));
      if (!caches) continue;
      const std::string core_cpus = std::to_string(core) + "," + std::to_string(core + 8);
      const std::string l3_cpus = list({2 * l3, 2 * l3 + 1, 2 * l3 + 8, 2 * l3 + 9});
      const std::tuple<int, const char*, std::string> index[] = {
          {1, "Data", core_cpus}, {1, "Instruction", core_cpus}, {2, "Unified", core_cpus}, {3, "Unified", l3_cpus}};
      for (int i = 0; i < 4; ++i) {
        const fs::path idx = d / ("cache/index" + std::to_string(i));
        write(idx / "level", std::to_string(std::get<0>(index[i])));
        write(idx / "type", std::get<1>(index[i]));
        write(idx / "shared_cpu_list", std::get<2>(index[i]));
      }
    }
    const fs::path node_dir = root / "devices/system/node";
    if (node_per_llc)
      for (int l3 = 0; l3 < 4; ++l3)
        write(node_dir / ("node" + std::to_string(l3)) / "cpulist", list({2 * l3, 2 * l3 + 1, 2 * l3 + 8, 2 * l3 + 9}));
    else {
      write(node_dir / "node0/cpulist", "0-3,8-11");
      write(node_dir / "node1/cpulist", "4-7,12-15");
    }
    write(node_dir / "online", node_per_llc ? "0-3" : "0-1");  // a file, not a node directory
  }
  ~SyntheticTree() { fs::remove_all(root); }
};

std::vector<int> all_cpus() {
  std::vector<int> v;
  for (int c = 0; c < 16; ++c) v.push_back(c);
  return v;
}

std::string rep(const Topology& t, std::string_view name, const std::vector<int>& allowed, std::string* why = nullptr) {
  auto p = representative(t, name, allowed, why);
  return p ? p->str() : "none";
}

TEST(Topology, ReadsEveryLevelOfATwoSocketTree) {
  SyntheticTree tree;
  const auto t = read_topology(tree.root.string());
  ASSERT_EQ(t.cpus.size(), 16u);
  EXPECT_TRUE(t.cache_info);
  EXPECT_TRUE(t.numa_info);
  EXPECT_TRUE(t.package_info);
  EXPECT_FALSE(t.hybrid);
  EXPECT_TRUE(t.unknown.empty()) << t.unknown.front();
  const auto* c13 = t.find(13);
  ASSERT_NE(c13, nullptr);
  EXPECT_EQ(c13->package, 1);
  EXPECT_EQ(c13->node, 1);
  EXPECT_EQ(c13->core, 1);
  EXPECT_EQ(c13->llc, 2);  // the third L3 by lowest CPU (4)
  EXPECT_EQ(c13->llc_level, 3);
  EXPECT_EQ(c13->l2, 5);   // core 5's L2
  EXPECT_EQ(c13->siblings, (std::vector<int>{5, 13}));
  EXPECT_FALSE(c13->cluster.has_value()) << "65535 means no cluster";
}

TEST(Topology, PairClassIsTheClosestSharedLevel) {
  SyntheticTree tree;
  const auto t = read_topology(tree.root.string());
  EXPECT_EQ(pair_class(t, 3, 3), "same-core");
  EXPECT_EQ(pair_class(t, 0, 8), "smt-sibling");
  EXPECT_EQ(pair_class(t, 8, 0), "smt-sibling");
  EXPECT_EQ(pair_class(t, 0, 1), "shared-llc");
  EXPECT_EQ(pair_class(t, 9, 0), "shared-llc");  // a sibling of core 1 and core 0
  EXPECT_EQ(pair_class(t, 0, 2), "cross-llc");
  EXPECT_EQ(pair_class(t, 11, 1), "cross-llc");
  EXPECT_EQ(pair_class(t, 0, 4), "cross-socket");
  EXPECT_EQ(pair_class(t, 15, 0), "cross-socket");
  // Every ordered pair has exactly one class, and the counts follow from the layout.
  std::map<std::string, int> count;
  for (int a = 0; a < 16; ++a)
    for (int b = 0; b < 16; ++b) ++count[pair_class(t, a, b)];
  EXPECT_EQ(count["same-core"], 16);
  EXPECT_EQ(count["smt-sibling"], 16);
  EXPECT_EQ(count["shared-llc"], 32);    // each CPU: the 2 threads of the other core of its L3
  EXPECT_EQ(count["cross-llc"], 64);     // each CPU: the 4 threads of the other L3 of its socket
  EXPECT_EQ(count["cross-socket"], 128); // each CPU: the 8 threads of the other socket
  EXPECT_EQ(count.size(), 5u);
}

TEST(Topology, RepresentativePairsAndAbsentClasses) {
  SyntheticTree tree;
  const auto t = read_topology(tree.root.string());
  const auto all = all_cpus();
  EXPECT_EQ(rep(t, "same-core", all), "0:0");
  EXPECT_EQ(rep(t, "smt-sibling", all), "0:8");
  EXPECT_EQ(rep(t, "shared-llc", all), "0:1");
  EXPECT_EQ(rep(t, "cross-llc", all), "0:2");
  EXPECT_EQ(rep(t, "cross-socket", all), "0:4");
  EXPECT_EQ(rep(t, "cross-core", all), "0:1");  // the older name: the first pair that is not same-core or siblings
  std::string why;
  EXPECT_EQ(rep(t, "shared-l2", all, &why), "none");
  EXPECT_NE(why.find("share an L2"), std::string::npos) << why;
  EXPECT_EQ(rep(t, "cross-numa", all, &why), "none");
  EXPECT_NE(why.find("NUMA"), std::string::npos) << why;

  // Only among the allowed CPUs.
  const std::vector<int> some = {2, 3, 5, 10};
  EXPECT_EQ(rep(t, "same-core", some), "2:2");
  EXPECT_EQ(rep(t, "smt-sibling", some), "2:10");
  EXPECT_EQ(rep(t, "shared-llc", some), "2:3");
  EXPECT_EQ(rep(t, "cross-socket", some), "2:5");
  EXPECT_EQ(rep(t, "cross-llc", some, &why), "none");
  EXPECT_EQ(rep(t, "smt-sibling", {0, 1, 2}, &why), "none");
  EXPECT_NE(why.find("SMT"), std::string::npos) << why;
}

TEST(Topology, ANodePerL3MakesCrossNuma) {
  SyntheticTree tree(true, /*node_per_llc=*/true);
  const auto t = read_topology(tree.root.string());
  EXPECT_EQ(pair_class(t, 0, 1), "shared-llc");
  EXPECT_EQ(pair_class(t, 0, 2), "cross-numa");  // same package, another node
  EXPECT_EQ(pair_class(t, 0, 4), "cross-socket");
  EXPECT_EQ(rep(t, "cross-numa", all_cpus()), "0:2");
  std::string why;
  EXPECT_EQ(rep(t, "cross-llc", all_cpus(), &why), "none");
}

TEST(Topology, WithoutCachesFallsBackToPackagesSmtAndNuma) {
  SyntheticTree tree(/*caches=*/false);
  const auto t = read_topology(tree.root.string());
  EXPECT_FALSE(t.cache_info);
  EXPECT_TRUE(t.numa_info);
  ASSERT_EQ(t.unknown.size(), 1u);
  EXPECT_NE(t.unknown[0].find("cache"), std::string::npos);
  EXPECT_EQ(pair_class(t, 0, 0), "same-core");
  EXPECT_EQ(pair_class(t, 0, 8), "smt-sibling");
  EXPECT_EQ(pair_class(t, 0, 1), "cross-core");  // shares an L3 on the real machine, but nobody can tell here
  EXPECT_EQ(pair_class(t, 0, 2), "cross-core");
  EXPECT_EQ(pair_class(t, 0, 4), "cross-socket");
  std::string why;
  for (const char* name : {"shared-l2", "shared-llc", "cross-llc"}) {
    EXPECT_EQ(rep(t, name, all_cpus(), &why), "none") << name;
    EXPECT_NE(why.find("no cache information"), std::string::npos) << why;
  }
  EXPECT_EQ(rep(t, "cross-core", all_cpus()), "0:1");
  EXPECT_EQ(rep(t, "cross-socket", all_cpus()), "0:4");

  const auto j = topology_json(t, all_cpus());
  EXPECT_EQ(j["cache_info"], false);
  std::set<std::string> present, absent;
  for (const auto& c : j["classes"]) present.insert(c["class"].get<std::string>());
  for (const auto& c : j["absent"]) absent.insert(c["class"].get<std::string>());
  EXPECT_EQ(present, (std::set<std::string>{"same-core", "smt-sibling", "cross-core", "cross-socket"}));
  EXPECT_EQ(absent, (std::set<std::string>{"shared-l2", "shared-llc", "cross-llc", "cross-numa"}));
  EXPECT_EQ(j["cpus"][4]["llc"], nullptr);
  EXPECT_EQ(j["cpus"][4]["package"], 1);
}

TEST(Topology, JsonListsClassesWithPairsAndRepresentatives) {
  SyntheticTree tree;
  const auto t = read_topology(tree.root.string());
  const auto j = topology_json(t, all_cpus());
  EXPECT_EQ(j["cache_info"], true);
  std::map<std::string, nlohmann::json> by;
  for (const auto& c : j["classes"]) by[c["class"].get<std::string>()] = c;
  ASSERT_TRUE(by.count("cross-llc"));
  EXPECT_EQ(by["cross-llc"]["representative"]["producer"], 0);
  EXPECT_EQ(by["cross-llc"]["representative"]["consumer"], 2);
  EXPECT_EQ(by["cross-llc"]["pairs_total"], 32);  // unordered
  EXPECT_EQ(by["cross-llc"]["pairs"].size(), 32u);
  EXPECT_EQ(by["cross-socket"]["pairs_total"], 64);
  EXPECT_EQ(by["cross-socket"]["pairs"].size(), 32u) << "long lists are cut";
  EXPECT_TRUE(by["cross-core"].contains("alias_for")) << "with caches known, cross-core is only a name";
  EXPECT_FALSE(by.count("shared-l2"));
}

TEST(Topology, MatrixSamplesEveryClassWhenNotAllPairsFit) {
  SyntheticTree tree;
  const auto t = read_topology(tree.root.string());
  auto all = matrix_pairs(t, all_cpus(), 1000, 1);
  EXPECT_FALSE(all.sampled);
  EXPECT_EQ(all.pairs.size(), 256u);
  auto plan = matrix_pairs(t, all_cpus(), 12, 7);
  EXPECT_TRUE(plan.sampled);
  EXPECT_EQ(plan.pairs_total, 256u);
  ASSERT_EQ(plan.pairs.size(), 12u);
  std::map<std::string, int> classes;
  std::set<std::pair<int, int>> distinct;
  for (const auto& p : plan.pairs) {
    ++classes[pair_class(t, p.producer, p.consumer)];
    distinct.insert({p.producer, p.consumer});
  }
  EXPECT_EQ(distinct.size(), 12u);
  EXPECT_EQ(classes.size(), 5u);
  for (const auto& [cls, n] : classes) EXPECT_GE(n, 2) << cls << ": 12 pairs over 5 classes, round-robin";
  EXPECT_EQ(matrix_pairs(t, all_cpus(), 12, 7).pairs, plan.pairs) << "the same seed, the same sample";
  EXPECT_EQ(matrix_pairs(t, all_cpus(), 2, 7).pairs.size(), 5u) << "at least one pair per class";
}

TEST(Topology, ByClassTakesTheMedianPerClass) {
  auto run = [](int p, int c, const char* cls, double p50) {
    return nlohmann::json{{"status", "ok"}, {"transport", "shm"}, {"pattern", "pingpong"}, {"payload_bytes", 64},
                          {"wait", "spin"}, {"cpus", {{"producer", p}, {"consumer", c}}}, {"placement_class", cls},
                          {"latency", {{"rtt_ns", {{"p50", p50}}}}}};
  };
  nlohmann::json runs = {run(0, 1, "shared-llc", 100), run(1, 0, "shared-llc", 300), run(0, 1, "shared-llc", 200),
                         run(0, 4, "cross-socket", 900)};
  runs.push_back(run(0, 2, "cross-llc", 5));
  runs.back()["status"] = "error";
  const auto g = by_class(runs);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0]["placement_class"], "shared-llc");
  EXPECT_EQ(g[0]["runs"], 3);
  EXPECT_EQ(g[0]["pairs"].size(), 2u);
  EXPECT_EQ(g[0]["p50_rtt_ns"], 200.0);
  EXPECT_EQ(g[1]["p50_rtt_ns"], 900.0);
}

}  // namespace
}  // namespace ipcbench::topo
