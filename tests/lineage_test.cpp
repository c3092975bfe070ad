// The process tree behind `descendant of`/`child of` (src/run/lineage.h) over generated
// process trees: deep chains, a parent seen after its child, a reused pid with a new entity
// id, ended processes and their grace period, the memory bound, hosts kept apart, and a
// random forest delivered out of order checked against a model that knows every parent.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "eql/eval.h"
#include "eql/event.h"
#include "eql/lineage.h"
#include "eql/parser.h"
#include "run/lineage.h"

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

struct Process {
  std::string entity_id;
  std::string parent;  // empty: none
  std::string name = "proc.exe";
  std::int64_t pid = 1;
  std::string host = "host-1";
};

eql::Event parsed(const std::string& json, std::int64_t time_ns) {
  std::string error;
  auto event = eql::parse_event(json, error);
  REQUIRE_MESSAGE(event.has_value(), error);
  event->timestamp = time_ns;
  return std::move(*event);
}

// A process event as Elastic Defend writes it (the fields the tree reads).
eql::Event process_event(const Process& p, const std::string& action, std::int64_t time_ns) {
  std::string json = R"({"event":{"category":["process"],"type":[")" + action + R"("],"action":")" + action +
                     R"("},"host":{"id":")" + p.host + R"("},"process":{"entity_id":")" + p.entity_id +
                     R"(","pid":)" + std::to_string(p.pid) + R"(,"name":")" + p.name + R"(")";
  if (!p.parent.empty()) json += R"(,"parent":{"entity_id":")" + p.parent + R"("})";
  json += "}}";
  return parsed(json, time_ns);
}

eql::ProcessTree::Condition name_is(const std::string& name) {
  return [name](const eql::Event& event) {
    eql::Value value = event.first("process.name");
    return value.kind == eql::ValueKind::String && value.string == name;
  };
}

// A tree with one condition, `process.name == "match.exe"`, fed with start events.
struct Fixture {
  eql::ProcessTree tree;
  eql::ProcessTree::ConditionId match;
  std::int64_t clock = 1'000 * kSecond;

  explicit Fixture(eql::LineageOptions options = {}) : tree(options), match(tree.add_condition(name_is("match.exe"))) {}

  void start(const Process& p) { tree.observe(process_event(p, "start", clock += kSecond)); }
  void end(const Process& p) { tree.observe(process_event(p, "end", clock += kSecond)); }
  bool descendant(const std::string& id, const std::string& host = "host-1") const {
    return tree.is_descendant_of(host, id, match);
  }
  bool child(const std::string& id, const std::string& host = "host-1") const {
    return tree.is_child_of(host, id, match);
  }
};

Process proc(std::string id, std::string parent, std::string name = "proc.exe") {
  Process p;
  p.entity_id = std::move(id);
  p.parent = std::move(parent);
  p.name = std::move(name);
  return p;
}

}  // namespace

TEST_CASE("lineage: a deep chain in order needs no walk and no recursion") {
  Fixture f;
  constexpr int depth = 100'000;
  f.start(proc("p0", "", "match.exe"));
  for (int i = 1; i < depth; ++i) f.start(proc("p" + std::to_string(i), "p" + std::to_string(i - 1)));
  CHECK(f.tree.stats().processes == depth);
  const std::string deepest = "p" + std::to_string(depth - 1);
  CHECK(f.descendant(deepest));
  CHECK(f.descendant("p1"));
  CHECK_FALSE(f.descendant("p0"));  // a process is not its own descendant
  CHECK(f.child("p1"));
  CHECK_FALSE(f.child("p2"));
  CHECK_FALSE(f.child(deepest));

  // A condition no process matched: the question walks up, at most max_walk ancestors.
  eql::ProcessTree tree{eql::LineageOptions{}};
  auto never = tree.add_condition(name_is("never.exe"));
  auto root = tree.add_condition(name_is("match.exe"));
  std::int64_t clock = 0;
  tree.observe(process_event(proc("p0", "", "match.exe"), "start", ++clock));
  for (int i = 1; i < depth; ++i)
    tree.observe(process_event(proc("p" + std::to_string(i), "p" + std::to_string(i - 1)), "start", ++clock));
  CHECK_FALSE(tree.is_descendant_of("host-1", deepest, never));
  CHECK(tree.stats().walks_cut == 1);
  CHECK(tree.is_descendant_of("host-1", deepest, root));
  CHECK_FALSE(tree.is_descendant_of("host-1", "p70", never));  // the chain ends within the bound
  CHECK(tree.stats().walks_cut == 2);  // p70 has 70 ancestors, more than 64
  CHECK_FALSE(tree.is_descendant_of("host-1", "p60", never));
  CHECK(tree.stats().walks_cut == 2);
}

TEST_CASE("lineage: a parent seen after its child is linked when it comes") {
  Fixture f;
  f.start(proc("child", "parent"));
  f.start(proc("grandchild", "child"));
  f.start(proc("great", "grandchild"));
  CHECK_FALSE(f.descendant("great"));
  CHECK_FALSE(f.child("child"));

  f.start(proc("parent", "", "match.exe"));
  CHECK(f.child("child"));
  CHECK_FALSE(f.child("grandchild"));
  CHECK(f.descendant("child"));
  CHECK(f.descendant("grandchild"));
  CHECK(f.descendant("great"));
  CHECK_FALSE(f.descendant("parent"));

  // Past max_walk, ancestry linked late is not found (ancestry linked in order still is).
  eql::LineageOptions short_walk;
  short_walk.max_walk = 2;
  Fixture g(short_walk);
  g.start(proc("c1", "root"));
  g.start(proc("c2", "c1"));
  g.start(proc("c3", "c2"));
  g.start(proc("root", "", "match.exe"));
  CHECK(g.descendant("c2"));
  CHECK_FALSE(g.descendant("c3"));
  CHECK(g.tree.stats().walks_cut == 1);
}

TEST_CASE("lineage: a reused pid with a new entity id is another process") {
  Fixture f;
  Process office = proc("office-1", "", "match.exe");
  office.pid = 4242;
  f.start(office);
  f.start(proc("macro-child", "office-1"));
  f.end(office);

  Process reused = proc("other-1", "");
  reused.pid = 4242;  // the same pid, a new process
  f.start(reused);
  f.start(proc("other-child", "other-1"));
  CHECK(f.descendant("macro-child"));
  CHECK_FALSE(f.descendant("other-child"));
  CHECK_FALSE(f.child("other-child"));
  CHECK(f.tree.stats().processes == 4);
}

TEST_CASE("lineage: ended processes stay for the grace period and their descendants keep them") {
  eql::LineageOptions options;
  options.ended_grace_ns = 60 * kSecond;
  Fixture f(options);
  f.start(proc("parent", "", "match.exe"));
  f.start(proc("early", "parent"));
  f.end(proc("parent", ""));
  // A child whose start event arrives after its parent's end, within the grace period.
  f.start(proc("late", "parent"));
  CHECK(f.descendant("late"));
  CHECK(f.child("late"));
  CHECK(f.tree.stats().ends == 1);
  CHECK(f.tree.stats().expired == 0);

  f.clock += 120 * kSecond;  // the parent's grace period is over at the next event
  f.start(proc("too-late", "parent"));
  CHECK(f.tree.stats().expired == 1);
  CHECK_FALSE(f.descendant("too-late"));
  CHECK_FALSE(f.child("too-late"));
  // Children outlive their parents: what the parent matched is still known to them.
  CHECK(f.descendant("early"));
  CHECK(f.child("early"));
  f.start(proc("grandchild", "early"));
  CHECK(f.descendant("grandchild"));
  CHECK_FALSE(f.child("grandchild"));

  // An end event of a process never seen, or ended twice, changes nothing.
  f.end(proc("stranger", ""));
  f.end(proc("early", "parent"));
  f.end(proc("early", "parent"));
  CHECK(f.tree.stats().ends == 2);
}

TEST_CASE("lineage: the memory bound evicts ended processes first, then the oldest, and counts") {
  eql::LineageOptions options;
  options.max_processes = 3;
  Fixture f(options);
  f.start(proc("a", "", "match.exe"));
  f.start(proc("b", "a"));
  f.start(proc("c", "b"));
  f.end(proc("b", "a"));
  f.start(proc("d", "c"));  // evicts b (ended), not a (older, running)
  CHECK(f.tree.stats().evicted == 1);
  CHECK(f.tree.stats().processes == 3);
  CHECK(f.descendant("d"));  // c carried a's match from when it started
  CHECK(f.child("b") == false);  // b is gone
  f.start(proc("e", "d"));  // evicts a, the oldest running
  CHECK(f.tree.stats().evicted == 2);
  CHECK(f.descendant("e"));
  CHECK_FALSE(f.descendant("a"));
  for (int i = 0; i < 100; ++i) f.start(proc("x" + std::to_string(i), ""));
  CHECK(f.tree.stats().evicted == 102);
  CHECK(f.tree.stats().processes == 3);
  CHECK(f.tree.stats().peak == 3);
  CHECK(f.tree.stats().starts == 105);
}

TEST_CASE("lineage: hosts are apart, non-process events are not fed, hostile ancestry ends") {
  Fixture f;
  Process on_one = proc("parent", "", "match.exe");
  Process on_two = proc("parent", "");
  on_two.host = "host-2";
  f.start(on_one);
  f.start(on_two);
  Process kid = proc("kid", "parent");
  kid.host = "host-2";
  f.start(kid);
  CHECK_FALSE(f.descendant("kid", "host-2"));
  CHECK(f.tree.stats().processes == 3);

  // A library load says event.type "start" too; it is not a process.
  f.tree.observe(parsed(R"({"event":{"category":["library"],"type":["start"],"action":"load"},
      "host":{"id":"host-1"},"process":{"entity_id":"lib","parent":{"entity_id":"parent"}}})",
                        f.clock += kSecond));
  CHECK(f.tree.stats().processes == 3);

  // A file event asks about its acting process; one whose process is not held, about the
  // parent it names.
  f.start(proc("writer", "parent"));
  eql::Event file = parsed(R"({"event":{"category":["file"]},"host":{"id":"host-1"},
      "process":{"entity_id":"writer","parent":{"entity_id":"parent"}}})", f.clock);
  CHECK(f.tree.event_is_descendant_of(file, f.match));
  CHECK(f.tree.event_is_child_of(file, f.match));
  eql::Event unseen = parsed(R"({"event":{"category":["file"]},"host":{"id":"host-1"},
      "process":{"entity_id":"unseen","parent":{"entity_id":"writer"}}})", f.clock);
  CHECK(f.tree.event_is_descendant_of(unseen, f.match));
  CHECK_FALSE(f.tree.event_is_child_of(unseen, f.match));
  // Defend's file sample names the process as its own parent: no ancestry, no loop.
  eql::Event self = parsed(R"({"event":{"category":["file"]},"host":{"id":"host-1"},
      "process":{"entity_id":"ghost","parent":{"entity_id":"ghost"}}})", f.clock);
  CHECK_FALSE(f.tree.event_is_descendant_of(self, f.match));

  // Two processes naming each other as parent: the walk ends at its bound.
  f.start(proc("loop-a", "loop-b"));
  f.start(proc("loop-b", "loop-a"));
  CHECK_FALSE(f.descendant("loop-a"));
  CHECK(f.tree.stats().walks_cut == 1);
}

TEST_CASE("lineage: a random forest delivered out of order answers as a model that knows every parent") {
  std::mt19937 random(20261207);
  constexpr int count = 3'000;
  constexpr int conditions = 70;  // more than one word of bits
  std::vector<int> parent(count, -1);
  std::vector<std::vector<bool>> matches(count, std::vector<bool>(conditions));
  for (int i = 0; i < count; ++i) {
    if (i > 0 && random() % 10 != 0) parent[i] = static_cast<int>(random() % i);
    for (int c = 0; c < conditions; ++c) matches[i][c] = random() % 40 == 0;
  }
  eql::LineageOptions options;
  options.max_walk = count;  // every late link is found
  eql::ProcessTree tree(options);
  std::map<std::string, int> index;
  for (int i = 0; i < count; ++i) index["e" + std::to_string(i)] = i;
  for (int c = 0; c < conditions; ++c) {
    tree.add_condition([&, c](const eql::Event& event) {
      return matches[index.at(std::string(event.first("process.entity_id").string))][c];
    });
  }
  // Mostly in order, with one process in eight delayed to the end (its children come first).
  std::vector<int> order, delayed;
  for (int i = 0; i < count; ++i) (random() % 8 == 0 ? delayed : order).push_back(i);
  std::shuffle(delayed.begin(), delayed.end(), random);
  order.insert(order.end(), delayed.begin(), delayed.end());
  std::int64_t clock = 0;
  for (int i : order) {
    Process p = proc("e" + std::to_string(i), parent[i] < 0 ? "" : "e" + std::to_string(parent[i]));
    tree.observe(process_event(p, "start", ++clock));
  }
  int checked = 0, positive = 0, wrong = 0;
  for (int i = 0; i < count; ++i) {
    for (int c = 0; c < conditions; ++c) {
      bool descendant = false;
      for (int a = parent[i]; a >= 0 && !descendant; a = parent[a]) descendant = matches[a][c];
      bool child = parent[i] >= 0 && matches[parent[i]][c];
      const std::string id = "e" + std::to_string(i);
      auto condition = static_cast<eql::ProcessTree::ConditionId>(c);
      // Counted rather than checked one by one: 210,000 checks are slow under the sanitizers.
      bool right = tree.is_descendant_of("host-1", id, condition) == descendant &&
                   tree.is_child_of("host-1", id, condition) == child;
      if (!right && ++wrong <= 5) FAIL_CHECK(id << " condition " << c << ": descendant " << descendant << ", child " << child);
      ++checked;
      positive += descendant;
    }
  }
  CHECK(wrong == 0);
  CHECK(checked == count * conditions);
  CHECK(positive > checked / 20);  // the forest is deep enough for the answers to vary
  CHECK(positive < checked);
  CHECK(tree.stats().walks_cut == 0);
}

TEST_CASE("lineage: the evaluator's LineageSource, with compiled inner queries") {
  eql::ProcessTree tree;
  auto compiled = [&](const std::string& text) {
    eql::ParseResult parsed = eql::parse_query(text, eql::ParseOptions{});
    REQUIRE(parsed.ok());
    eql::FilterCompileResult program = eql::compile_filter(*parsed.query->event(), eql::FilterOptions{});
    REQUIRE(program.program.has_value());
    return std::move(*program.program);
  };
  eql::LineageSource& source = tree;
  const std::uint32_t office = source.add_condition(compiled(R"(process where process.name : "winword.exe")"));
  const std::uint32_t shell = source.add_condition(compiled(R"(process where event.action == "start" and process.name == "cmd.exe")"));
  std::int64_t clock = 0;
  tree.observe(process_event(proc("word", "", "WINWORD.EXE"), "start", ++clock));
  tree.observe(process_event(proc("cmd", "word", "cmd.exe"), "start", ++clock));
  tree.observe(process_event(proc("ps", "cmd", "powershell.exe"), "start", ++clock));
  // An end event is not a start: the inner query's `event.action == "start"` is not asked.
  tree.observe(process_event(proc("cmd2", "ps", "cmd.exe"), "end", ++clock));

  using Relation = eql::LineageSource::Relation;
  const eql::Event ps = process_event(proc("ps", "cmd", "powershell.exe"), "start", clock);
  CHECK(source.related(ps, Relation::Descendant, office));  // `:` ignores case
  CHECK(source.related(ps, Relation::Descendant, shell));
  CHECK(source.related(ps, Relation::Child, shell));
  CHECK_FALSE(source.related(ps, Relation::Child, office));
  CHECK_FALSE(source.related(ps, Relation::Event, shell));
  const eql::Event cmd = process_event(proc("cmd", "word", "cmd.exe"), "start", clock);
  CHECK(source.related(cmd, Relation::Event, shell));
  CHECK(source.related(cmd, Relation::Child, office));
  CHECK_FALSE(source.related(cmd, Relation::Descendant, shell));
  CHECK(tree.stats().processes == 3);
}

TEST_CASE("lineage: descendant of / child of / event of compile into leaves that ask the tree") {
  eql::ParseOptions endpoint;
  endpoint.dialect = eql::Dialect::Endpoint;
  eql::ProcessTree tree;
  eql::FilterOptions options;
  options.lineage = &tree;
  auto compiled = [&](const std::string& text, const eql::FilterOptions& with) {
    eql::ParseResult parsed = eql::parse_query(text, endpoint);
    REQUIRE_MESSAGE(parsed.ok(), text);
    return eql::compile_filter(*parsed.query->event(), with);
  };
  auto program = [&](const std::string& text) {
    eql::FilterCompileResult result = compiled(text, options);
    REQUIRE_MESSAGE(result.program.has_value(), text);
    return std::move(*result.program);
  };
  const eql::FilterProgram from_office = program(
      R"(process where event.action == "start" and descendant of [process where process.name : "winword.exe"])");
  const eql::FilterProgram not_from_office = program(
      R"(process where process.name == "powershell.exe" and not descendant of [process where process.name : "winword.exe"])");
  const eql::FilterProgram child_of_cmd = program(R"(file where child of [process where process.name == "cmd.exe"])");
  const eql::FilterProgram started_as_cmd = program(R"(file where event of [process where process.name == "cmd.exe"])");
  CHECK(tree.condition_count() == 4);
  CHECK(from_office.describe().find("(descendant-of #0)") != std::string::npos);
  CHECK(child_of_cmd.describe().find("(child-of #2)") != std::string::npos);

  eql::EvalContext context;
  std::int64_t clock = 0;
  auto feed = [&](const eql::Event& event) {
    tree.observe(event);  // as the runner does: the tree first, then the rules
    return event;
  };
  const eql::Event word = feed(process_event(proc("word", "", "WINWORD.EXE"), "start", ++clock));
  const eql::Event cmd = feed(process_event(proc("cmd", "word", "cmd.exe"), "start", ++clock));
  const eql::Event ps = feed(process_event(proc("ps", "cmd", "powershell.exe"), "start", ++clock));
  const eql::Event other = feed(process_event(proc("other-ps", "", "powershell.exe"), "start", ++clock));
  CHECK_FALSE(from_office.matches(word, context));
  CHECK(from_office.matches(cmd, context));
  CHECK(from_office.matches(ps, context));
  CHECK_FALSE(from_office.matches(other, context));
  CHECK_FALSE(not_from_office.matches(ps, context));
  CHECK(not_from_office.matches(other, context));

  auto file_of = [&](const std::string& entity_id, const std::string& parent) {
    return parsed(R"({"event":{"category":["file"],"type":["creation"]},"host":{"id":"host-1"},
        "process":{"entity_id":")" + entity_id + R"(","parent":{"entity_id":")" + parent + R"("}}})", clock);
  };
  CHECK(child_of_cmd.matches(file_of("ps", "cmd"), context));
  CHECK_FALSE(child_of_cmd.matches(file_of("cmd", "word"), context));
  CHECK(started_as_cmd.matches(file_of("cmd", "word"), context));
  CHECK_FALSE(started_as_cmd.matches(file_of("ps", "cmd"), context));

  // Without a process tree (eql query, the shell) the condition is refused, not false.
  eql::FilterCompileResult refused = compiled(R"(process where descendant of [process where true])", eql::FilterOptions{});
  CHECK_FALSE(refused.program.has_value());
  REQUIRE(refused.diagnostics.size() == 1);
  CHECK(refused.diagnostics[0].code == "eval.lineage-unavailable");
  CHECK(refused.diagnostics[0].span.begin == 14);
}
