#include "log_capture.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "llama.h"

namespace rrm {
namespace {
std::mutex g_mutex;
std::string g_last_error;
std::string g_last_warn;
std::string g_pending;  // ggml may emit one line in several calls (GGML_LOG_LEVEL_CONT)
int g_pending_level = GGML_LOG_LEVEL_NONE;
bool g_echo = std::getenv("RRM_DEBUG") != nullptr;

void on_log(ggml_log_level level, const char * text, void *) {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_echo) fputs(text, stderr);
  if (level != GGML_LOG_LEVEL_CONT) {
    g_pending.clear();
    g_pending_level = level;
  }
  g_pending += text;
  if (g_pending.empty() || g_pending.back() != '\n') return;
  std::string line = g_pending.substr(0, g_pending.size() - 1);
  if (g_pending_level == GGML_LOG_LEVEL_ERROR) g_last_error = line;
  else if (g_pending_level == GGML_LOG_LEVEL_WARN) g_last_warn = line;
  g_pending.clear();
}
}  // namespace

void install_log_capture() {
  static std::once_flag once;
  std::call_once(once, [] { llama_log_set(on_log, nullptr); });
}

std::string last_log_error() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_last_error.empty() ? g_last_warn : g_last_error;
}

void clear_log_error() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_last_error.clear();
  g_last_warn.clear();
}

void set_log_echo(bool echo) {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_echo = echo;
}
}  // namespace rrm
