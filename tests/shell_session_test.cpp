// `eql shell` without a terminal: the Session that both front ends drive (commands, queries,
// results, completion), and the helpers that decide when a query goes on to the next line.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>

#include "run_harness.h"
#include "shell/shell.h"
#include "eql/source.h"
#include "shell/table.h"

namespace {

const std::string kSource = EQL_SOURCE_DIR;
const std::string kWmiEvents = kSource + "/rules/events/windows_wmi_cmd.jsonl";
const std::string kSequenceEvents = kSource + "/tests/data/events/sequence_out_of_order.ndjson";

/// A FILE* that writes into memory.
class Capture {
 public:
  Capture() : file_(open_memstream(&buffer_, &size_)) {}
  ~Capture() {
    std::fclose(file_);
    std::free(buffer_);
  }
  std::FILE* file() { return file_; }
  /// What was written since the last call.
  std::string take() {
    std::fflush(file_);
    std::string text(buffer_, size_);
    std::string fresh = text.substr(taken_);
    taken_ = text.size();
    return fresh;
  }

 private:
  char* buffer_ = nullptr;
  std::size_t size_ = 0;
  std::size_t taken_ = 0;
  std::FILE* file_;
};

struct Shell {
  Capture out, err;
  eql::shell::Session session{eql::shell::SessionOptions{}, out.file(), err.file()};
  Shell() { REQUIRE(session.load({kWmiEvents, kSequenceEvents})); out.take(); }
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("an unfinished query continues on the next line; a finished one or a command does not") {
  using eql::shell::input_incomplete;
  for (const char* unfinished : {"process", "process where", "process where a ==", "process where a == 1 and",
                                 "process where (a == 1", "process where true |",
                                 "sequence [process where true]", "sequence [process where true] [",
                                 "process where a == \"\"\"multi", "process where /* open"}) {
    CHECK_MESSAGE(input_incomplete(unfinished), unfinished);
  }
  for (const char* finished : {"process where true", "process where a == 1 | head 5", ".load",
                               "sequence [a where true] [b where true]", "process where a = 1",
                               "process where a == \"open", "process where a == 1)", "", "   "}) {
    CHECK_MESSAGE(!input_incomplete(finished), finished);
  }
}

TEST_CASE("command words, numbers and table cells") {
  using eql::shell::split_words;
  CHECK(split_words(R"(a.ndjson  "my file.ndjson" b\ c)") ==
        std::vector<std::string>{"a.ndjson", "my file.ndjson", "b c"});
  CHECK(eql::shell::with_thousands(0) == "0");
  CHECK(eql::shell::with_thousands(1234) == "1,234");
  CHECK(eql::shell::with_thousands(1234567) == "1,234,567");
  CHECK(eql::shell::fit_text("abcdef", 6) == "abcdef");
  CHECK(eql::shell::fit_text("abcdef", 4) == "abc…");
  CHECK(eql::shell::fit_text("ééééé", 3) == "éé…");

  eql::shell::Table table({"name", "command_line"});
  table.add({"cmd.exe", "cmd.exe /c whoami /all 1> \\\\127.0.0.1\\ADMIN$\\x 2>&1"});
  std::string fitted = table.render(30, false);
  CHECK(fitted ==
        "name     command_line\n"
        "-------  ---------------------\n"
        "cmd.exe  cmd.exe /c whoami /a…\n");
  std::istringstream lines(fitted);
  for (std::string line; std::getline(lines, line);) CHECK(eql::count_characters(line) <= 30);
}

TEST_CASE("queries show a table of the fields they use, and a summary") {
  Shell shell;
  CHECK(shell.session.event_count() == 9);
  CHECK(shell.session.execute(R"(process where process.parent.name : "WmiPrvSE.exe")"));
  std::string out = shell.out.take();
  CHECK(contains(out, "@timestamp                event.category  process.parent.name\n"));
  CHECK(contains(out, "2024-01-31T14:23:00.443Z  process         WmiPrvSE.exe\n"));
  CHECK(contains(out, "\n4 events ("));
  CHECK(shell.err.take().empty());

  // Chosen columns, and a limit that says how many there were.
  CHECK(shell.session.execute(".table @timestamp host.name process.name"));
  CHECK(shell.session.execute(".limit 2"));
  shell.out.take();
  CHECK(shell.session.execute("process where true"));
  out = shell.out.take();
  CHECK(contains(out, "@timestamp            host.name  process.name\n"));
  CHECK(contains(out, "showing 2 of 7 events ("));
}

TEST_CASE("an error is shown with its query line and a caret; the checker's suggestion is a warning") {
  Shell shell;
  CHECK_FALSE(shell.session.execute("process where process.name = \"x\""));
  CHECK(shell.err.take() ==
        "<query>:1:28: error: use == to compare; = is not a comparison\n"
        "   process where process.name = \"x\"\n"
        "                              ^\n");
  CHECK(shell.session.execute("process where process.nmae == \"x\""));
  std::string err = shell.err.take();
  CHECK(contains(err, "<query>:1:15: warning: unknown field `process.nmae` for process events; did you mean `process.name`?"));
  CHECK(contains(err, "              ^~~~~~~~~~~~"));
  // A field the loaded events have is no typo, whatever the schema says.
  CHECK(shell.session.execute("any where id == 1"));
  CHECK(shell.err.take().empty());
  CHECK(contains(shell.out.take(), "1 event ("));
}

TEST_CASE("hunting pipes run in the shell; sequences take head and tail only") {
  Shell shell;
  CHECK(shell.session.execute("process where true | count process.name | sort count desc | head 10"));
  std::string out = shell.out.take();
  CHECK(out.rfind("process.name  count  percent\n"
                  "------------  -----  -------\n"
                  "cmd.exe       6      85.71\n"
                  "CMD.EXE       1      14.29\n"
                  "2 rows (", 0) == 0);
  CHECK(shell.session.execute("process where true | unique_count host.name | sort count"));
  out = shell.out.take();
  CHECK(contains(out, "  count\n"));
  CHECK(contains(out, "2 events ("));

  CHECK_FALSE(shell.session.execute("sequence [process where true] [network where true] | count"));
  CHECK(contains(shell.err.take(), "<query>:1:52: error: the pipe `count` applies to event queries only"));
  CHECK(shell.session.execute("sequence by host.id [process where true] [network where true] | tail 1"));
  out = shell.out.take();
  CHECK(contains(out, "#  keys  stage  @timestamp            event.category  host.id\n"));
  CHECK(contains(out, "1  [h2]  1      2024-01-01T00:00:02Z  process         h2\n"));
  CHECK(contains(out, "         2      2024-01-01T00:02:30Z  network         h2\n"));
  CHECK(contains(out, "1 sequence ("));
}

TEST_CASE(".json shows one result per line; .output writes all of them as NDJSON or CSV") {
  Shell shell;
  CHECK(shell.session.execute(".json"));
  CHECK(shell.session.execute(".limit 1"));
  shell.out.take();
  CHECK(shell.session.execute("network where true"));
  std::string out = shell.out.take();
  CHECK(out.rfind("{\"@timestamp\":\"2024-01-01T00:00:03Z\",\"event\":{\"category\":\"network\"},"
                  "\"host\":{\"id\":\"h1\"},\"destination\":{\"port\":445},\"id\":3}\nshowing 1 of 2 events", 0) == 0);

  auto dir = std::filesystem::temp_directory_path() / ("eql-shell-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  CHECK(shell.session.execute(".output " + (dir / "net.ndjson").string()));
  CHECK(read(dir / "net.ndjson") ==
        "{\"@timestamp\":\"2024-01-01T00:00:03Z\",\"event\":{\"category\":\"network\"},\"host\":{\"id\":\"h1\"},\"destination\":{\"port\":445},\"id\":3}\n"
        "{\"@timestamp\":\"2024-01-01T00:02:30Z\",\"event\":{\"category\":\"network\"},\"host\":{\"id\":\"h2\"},\"destination\":{\"port\":445},\"id\":4}\n");
  CHECK(shell.session.execute(".table @timestamp host.id destination.port"));
  CHECK(shell.session.execute("process where true | count host.id"));
  CHECK(shell.session.execute(".output " + (dir / "hosts.csv").string()));
  CHECK(read(dir / "hosts.csv") == "host.id,count,percent\nh1,1,14.29\nh2,1,14.29\nnull,5,71.43\n");
  CHECK(shell.session.execute("sequence by host.id [process where true] [network where true]"));
  CHECK(shell.session.execute(".output " + (dir / "seq.csv").string()));
  CHECK(read(dir / "seq.csv") ==
        "sequence,join_keys,stage,@timestamp,host.id,destination.port\n"
        "1,[h1],1,2024-01-01T00:00:01Z,h1,\n"
        "1,[h1],2,2024-01-01T00:00:03Z,h1,445\n"
        "2,[h2],1,2024-01-01T00:00:02Z,h2,\n"
        "2,[h2],2,2024-01-01T00:02:30Z,h2,445\n");
  CHECK_FALSE(shell.session.execute(".output /nonexistent-dir/x.csv"));
  CHECK(contains(shell.err.take(), "cannot write /nonexistent-dir/x.csv"));
  std::filesystem::remove_all(dir);
}

TEST_CASE(".fields counts the events that have each field and types it") {
  Shell shell;
  CHECK(shell.session.execute(".fields process.p"));
  std::string out = shell.out.take();
  CHECK(contains(out, "process.parent.args          keyword   1\n"));
  CHECK(contains(out, "process.parent.name          keyword   5\n"));
  CHECK(contains(out, "process.pid                  long      5\n"));
  CHECK(contains(out, "6 fields in 9 events"));
  CHECK(shell.session.execute(".fields id"));
  CHECK(contains(shell.out.take(), "id     long  4\n"));
  // A field no schema knows is typed by the JSON values seen.
  auto file = std::filesystem::temp_directory_path() / ("eql-shell-fields-" + std::to_string(getpid()) + ".ndjson");
  std::ofstream(file) << "{\"zz_custom\": 1}\n{\"zz_custom\": \"a\"}\n{\"other\": true}\n";
  CHECK(shell.session.execute(".load " + file.string()));
  CHECK(contains(shell.out.take(), "loaded 3 events from "));
  CHECK(shell.session.execute(".fields zz_"));
  CHECK(contains(shell.out.take(), "zz_custom  number|string  2\n"));
  std::filesystem::remove(file);
}

TEST_CASE(".explain shows the parsed query and, per sequence stage, how far candidates got") {
  Shell shell;
  CHECK(shell.session.execute(".explain sequence by host.id with maxspan=1m [process where process.name : \"cmd.exe\"] "
                              "[network where destination.port == 445] [process where true]"));
  std::string out = shell.out.take();
  CHECK(contains(out, "parsed: sequence by host.id with maxspan=1m [process where process.name : \"cmd.exe\"]"));
  CHECK(contains(out, "stage 1: 7 events match  [process where process.name : \"cmd.exe\"]\n"));
  CHECK(contains(out, "stage 2: 2 events match  [network where destination.port == 445]\n"));
  CHECK(contains(out, "stages 1-2: 1 candidate sequence reached stage 2\n"));
  CHECK(contains(out, "stages 1-3: 0 candidate sequences reached stage 3\n"));
  CHECK(contains(out, "candidates stopped before stage 3\n"));
  CHECK(shell.session.execute(".explain process where true | count"));
  out = shell.out.take();
  CHECK(contains(out, "pipe:   count is an extension of eql (Elasticsearch refuses it)\n"));
  CHECK(contains(out, "matches 7 of 9 loaded events\n"));
}

TEST_CASE(".rules and .run: the loaded rules over the loaded events, alerts as results") {
  Shell shell;
  CHECK_FALSE(shell.session.execute(".run"));
  CHECK(contains(shell.err.take(), "no rules loaded"));
  CHECK(shell.session.execute(".rules " + kSource + "/rules"));
  CHECK(contains(shell.out.take(), "loaded "));
  CHECK(shell.session.execute(".run"));
  std::string out = shell.out.take();
  CHECK(contains(out, "Suspicious Cmd Execution via WMI"));
  CHECK(contains(out, "2 alerts ("));
  CHECK(contains(out, "timestamp"));
  CHECK(contains(out, "rule_name"));
  CHECK(contains(out, "alert_id"));
}

TEST_CASE(".run writes the alerts `eql run` writes, byte for byte") {
  Shell shell;
  CHECK(shell.session.execute(".rules " + kSource + "/rules"));
  CHECK(shell.session.execute(".run"));
  const std::string path = std::filesystem::temp_directory_path() / ("eql_shell_run_alerts-" + std::to_string(getpid()) + ".ndjson");
  CHECK(shell.session.execute(".output " + path));
  std::ifstream written(path);
  std::multiset<std::string> from_shell;
  for (std::string line; std::getline(written, line);) from_shell.insert(line);
  std::filesystem::remove(path);
  // The shell loaded two files; eql run over the same two, every rule seeing every event.
  eql::testing::RunCapture run = eql::testing::capture_eql_run({"--rules", kSource + "/rules", "--ignore-index", kWmiEvents,
                                                      kSequenceEvents});
  REQUIRE(run.exit_code == 0);
  CHECK(from_shell == std::multiset<std::string>(run.lines.begin(), run.lines.end()));
  CHECK(from_shell.size() == 2);
}

TEST_CASE("commands that are unknown or misused fail and say why") {
  Shell shell;
  CHECK_FALSE(shell.session.execute(".bogus"));
  CHECK(contains(shell.err.take(), "unknown command .bogus"));
  CHECK_FALSE(shell.session.execute(".limit many"));
  CHECK(contains(shell.err.take(), "usage: .limit N"));
  CHECK_FALSE(shell.session.execute(".load /nonexistent/events.ndjson"));
  CHECK(shell.session.execute(".help"));
  CHECK(contains(shell.out.take(), ".explain QUERY"));
  CHECK_FALSE(shell.session.quit_requested());
  CHECK(shell.session.execute(".quit"));
  CHECK(shell.session.quit_requested());
}

TEST_CASE("completion: commands, keywords, categories, pipes, functions and fields segment by segment") {
  Shell shell;
  auto complete = [&](const std::string& text) { return shell.session.complete(text); };
  CHECK(complete(".ex").candidates == std::vector<std::string>{".exit", ".explain"});
  CHECK(complete(".lo").from == 0);
  // Categories seen in the data and the query keywords start a query.
  CHECK(complete("net").candidates == std::vector<std::string>{"network"});
  CHECK(complete("se").candidates == std::vector<std::string>{"sequence"});
  CHECK(complete("sequence [pro").candidates == std::vector<std::string>{"process"});
  CHECK(complete("process where true | uni").candidates == std::vector<std::string>{"unique", "unique_count"});
  // Field names complete one segment at a time, from the events and the schema.
  eql::shell::Completion fields = complete("process where process.pa");
  CHECK(fields.from == 14);
  CHECK(fields.candidates == std::vector<std::string>{"process.parent."});
  fields = complete("process where process.parent.na");
  CHECK(fields.candidates == std::vector<std::string>{"process.parent.name", "process.parent.name."});
  auto has = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  CHECK(has(complete("any where ind").candidates, "indexOf"));
  std::vector<std::string> after_an = complete("any where id == 1 an").candidates;
  CHECK(has(after_an, "and"));
  CHECK(has(after_an, "anomali."));  // a schema namespace, cut after its first segment
  CHECK_FALSE(has(after_an, "anomali.limo.content"));
  CHECK(complete("process where startsW").candidates == std::vector<std::string>{"startsWith"});
  CHECK(complete(".table @timestamp host.hostn").candidates == std::vector<std::string>{"host.hostname"});
  // .load completes file names.
  eql::shell::Completion files = complete(".load " + kSource + "/tests/data/events/sequence_o");
  CHECK(files.candidates == std::vector<std::string>{kSource + "/tests/data/events/sequence_out_of_order.ndjson"});
}

TEST_CASE("a cancelled query (Ctrl-C) stops, says so, and keeps the earlier results") {
  Capture out, err;
  bool cancel = false;
  eql::shell::SessionOptions options;
  options.cancelled = [&] { return cancel; };
  eql::shell::Session session(options, out.file(), err.file());
  REQUIRE(session.load({kWmiEvents, kSequenceEvents}));
  CHECK(session.execute("process where true | count"));
  cancel = true;
  CHECK_FALSE(session.execute("sequence [process where true] [network where true]"));
  CHECK(contains(err.take(), "query cancelled after 9 of 9 events"));
  CHECK_FALSE(session.execute("process where true"));
  cancel = false;
  auto file = std::filesystem::temp_directory_path() / ("eql-shell-cancel-" + std::to_string(getpid()) + ".ndjson");
  CHECK(session.execute(".output " + file.string()));
  std::ifstream in(file);
  CHECK(std::string(std::istreambuf_iterator<char>(in), {}) == "{\"count\":7}\n");
  std::filesystem::remove(file);
}

TEST_CASE(".why: a loaded rule over a row of the last result, or a loaded event by position") {
  Shell shell;
  CHECK_FALSE(shell.session.execute(".why 1 1"));
  CHECK(contains(shell.err.take(), "no rules loaded"));
  CHECK(shell.session.execute(".rules " + kSource + "/rules/windows/execution_suspicious_cmd_wmi.toml"));
  shell.out.take();
  CHECK(shell.session.execute(R"(process where process.parent.name == "explorer.exe")"));
  shell.out.take();
  // Row 1 of the last result: the near miss whose parent is explorer.exe.
  CHECK(shell.session.execute(".why 0e170e43-3d5f-43b7-8428-0b5f4c7b1f44 1"));
  std::string out = shell.out.take();
  CHECK(contains(out, "does not match"));
  CHECK(contains(out, R"(process.parent.name : "WmiPrvSE.exe"   false  saw "explorer.exe")"));
  // By name, a loaded event by position (in time order: the sequence file's process event,
  // which has no parent).
  CHECK(shell.session.execute(R"(.why "Suspicious Cmd Execution via WMI" @1)"));
  out = shell.out.take();
  CHECK(contains(out, "event 1: does not match"));
  CHECK(contains(out, R"(process.parent.name : "WmiPrvSE.exe"   null   saw missing)"));
  CHECK_FALSE(shell.session.execute(".why 1 99"));
  CHECK(contains(shell.err.take(), "no row 99"));
  CHECK_FALSE(shell.session.execute(".why 2 1"));
  CHECK(contains(shell.err.take(), "no loaded rule 2"));
  CHECK(shell.session.execute(".run"));
  shell.out.take();
  CHECK_FALSE(shell.session.execute(".why 1 1"));
  CHECK(contains(shell.err.take(), "holds no events"));
}
