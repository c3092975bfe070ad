// The shell's front ends: libedit on a terminal (prompts, history, completion, Ctrl-C), and
// script mode when standard input is not a terminal.
#include <histedit.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "shell/shell.h"

namespace eql::shell {

namespace {

volatile std::sig_atomic_t g_interrupted = 0;
const char* g_prompt = "eql> ";

extern "C" void on_interrupt(int) { g_interrupted = 1; }

extern "C" char* prompt_text(EditLine*) { return const_cast<char*>(g_prompt); }

std::size_t terminal_width() {
  winsize size{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

std::size_t columns_from_environment() {
  const char* columns = std::getenv("COLUMNS");
  if (!columns) return 0;
  char* end = nullptr;
  unsigned long value = std::strtoul(columns, &end, 10);
  return end && *end == '\0' && value >= 20 && value <= 10000 ? value : 0;
}

std::string trimmed(const std::string& text) {
  std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos) return "";
  return text.substr(start, text.find_last_not_of(" \t\r\n") + 1 - start);
}

struct Editor {
  Session* session = nullptr;
  std::string pending;  ///< the earlier lines of an unfinished query
};

std::string common_prefix(const std::vector<std::string>& names) {
  std::string prefix = names.front();
  for (const auto& n : names) {
    std::size_t i = 0;
    while (i < prefix.size() && i < n.size() && prefix[i] == n[i]) ++i;
    prefix.resize(i);
  }
  return prefix;
}

extern "C" unsigned char complete_word(EditLine* el, int) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  auto* editor = static_cast<Editor*>(data);
  const LineInfo* line = el_line(el);
  std::string before(line->buffer, static_cast<std::size_t>(line->cursor - line->buffer));
  std::string text = editor->pending.empty() ? before : editor->pending + "\n" + before;
  Completion completion = editor->session->complete(text);
  if (completion.candidates.empty()) return CC_ERROR;
  std::string word = text.substr(completion.from);
  std::string prefix = common_prefix(completion.candidates);
  if (prefix.size() >= word.size() && (prefix.size() > word.size() || completion.candidates.size() == 1)) {
    std::string insert = prefix.substr(word.size());
    char last = prefix.empty() ? ' ' : prefix.back();
    if (completion.candidates.size() == 1 && last != '.' && last != '/') insert += ' ';
    if (!insert.empty()) el_insertstr(el, insert.c_str());
    return CC_REFRESH;
  }
  // Several ways on: list them under the line, in columns.
  std::size_t widest = 0;
  for (const auto& c : completion.candidates) widest = std::max(widest, c.size());
  std::size_t per_line = std::max<std::size_t>(1, terminal_width() / (widest + 2));
  std::string listing = "\n";
  constexpr std::size_t kMostListed = 200;
  for (std::size_t i = 0; i < completion.candidates.size() && i < kMostListed; ++i) {
    const std::string& c = completion.candidates[i];
    listing += c;
    bool end_of_row = (i + 1) % per_line == 0 || i + 1 == completion.candidates.size();
    listing += end_of_row ? "\n" : std::string(widest + 2 - c.size(), ' ');
  }
  if (completion.candidates.size() > kMostListed) {
    listing += "\n(" + with_thousands(completion.candidates.size()) + " in all; type more to narrow)\n";
  }
  std::fputs(listing.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

int interactive(Session& session, const ShellOptions& options, bool loaded_ok) {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a read in progress returns with EINTR
  sigaction(SIGINT, &action, nullptr);
  session.options().cancelled = [] { return g_interrupted != 0; };

  EditLine* el = el_init("eql", stdin, stdout, stderr);
  History* history_state = history_init();
  HistEvent event;
  history(history_state, &event, H_SETSIZE, 5000);
  history(history_state, &event, H_SETUNIQUE, 1);
  if (!options.history_file.empty()) history(history_state, &event, H_LOAD, options.history_file.c_str());
  Editor editor;
  editor.session = &session;
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_PROMPT, prompt_text);
  el_set(el, EL_HIST, history, history_state);
  el_set(el, EL_CLIENTDATA, &editor);
  // The wide form: libedit's narrow EL_ADDFN duplicates both strings and never frees them.
  el_wset(el, EL_ADDFN, L"eql-complete", L"complete keywords, fields, functions, commands", complete_word);
  el_set(el, EL_BIND, "^I", "eql-complete", nullptr);
  el_source(el, nullptr);

  if (!options.session.quiet) {
    std::printf("eql shell: %s %s loaded. .help lists the commands; Ctrl-D leaves.\n",
                with_thousands(session.event_count()).c_str(), session.event_count() == 1 ? "event" : "events");
  }
  for (;;) {
    g_prompt = editor.pending.empty() ? "eql> " : "...> ";
    g_interrupted = 0;
    int count = 0;
    errno = 0;
    const char* line = el_gets(el, &count);
    if (g_interrupted || (count < 0 && errno == EINTR)) {
      // Ctrl-C: the line (and any unfinished query) is dropped.
      editor.pending.clear();
      el_reset(el);
      std::fputs("^C\n", stdout);
      continue;
    }
    if (!line || count <= 0) {  // Ctrl-D
      std::fputs("\n", stdout);
      break;
    }
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (editor.pending.empty() && trimmed(text).empty()) continue;
    // An empty line ends an unfinished query: it runs and says what is missing.
    if (!trimmed(text).empty()) editor.pending += (editor.pending.empty() ? "" : "\n") + text;
    if (!trimmed(text).empty() && input_incomplete(editor.pending)) continue;
    std::string input = editor.pending;
    editor.pending.clear();
    // One history line per query, so Up recalls it whole; a `//` comment would swallow the
    // lines after it, so such a query keeps its line breaks.
    std::string entry = input;
    if (entry.find("//") == std::string::npos) {
      for (char& c : entry) {
        if (c == '\n') c = ' ';
      }
    }
    history(history_state, &event, H_ENTER, entry.c_str());
    if (!options.history_file.empty()) history(history_state, &event, H_SAVE, options.history_file.c_str());
    session.options().width = terminal_width();
    g_interrupted = 0;
    session.execute(input);  // a mistake at the prompt is shown, and the session goes on
    if (session.quit_requested()) break;
  }
  history_end(history_state);
  el_end(el);
  return loaded_ok ? 0 : 2;
}

int script(Session& session, bool loaded_ok) {
  bool failed = false;
  std::string pending, line;
  auto run = [&] {
    if (!trimmed(pending).empty() && !session.execute(pending)) failed = true;
    pending.clear();
  };
  while (!session.quit_requested() && std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trimmed(line).empty()) {
      run();  // a blank line ends an unfinished query
      continue;
    }
    if (pending.empty() && trimmed(line).front() == '#') continue;  // comment lines in scripts
    pending += (pending.empty() ? "" : "\n") + line;
    if (!input_incomplete(pending)) run();
  }
  if (!session.quit_requested()) run();
  if (!loaded_ok) return 2;
  return failed ? 1 : 0;
}

}  // namespace

int run_shell(ShellOptions options) {
  bool terminal = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1;
  options.session.color = options.color == "always" || (options.color == "auto" && terminal);
  options.session.width = terminal ? terminal_width() : columns_from_environment();
  Session session(options.session, stdout, stderr);
  bool loaded_ok = options.files.empty() || session.load(options.files);
  // `eql shell -` reads events from standard input; the commands then come from the
  // terminal (as with `less`), and without one there are none.
  if (std::find(options.files.begin(), options.files.end(), "-") != options.files.end() &&
      isatty(STDIN_FILENO) != 1) {
    if (!std::freopen("/dev/tty", "r", stdin)) return loaded_ok ? 0 : 2;
    terminal = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1;
    session.options().color = options.color == "always" || (options.color == "auto" && terminal);
    session.options().width = terminal ? terminal_width() : columns_from_environment();
  }
  return terminal ? interactive(session, options, loaded_ok) : script(session, loaded_ok);
}

}  // namespace eql::shell
