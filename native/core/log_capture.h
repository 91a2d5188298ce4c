#pragma once
// llama.cpp reports most failures only through its log; we keep the last error-level line so a
// failed call can be turned into a JS error that names the cause.
#include <string>

namespace rrm {
void install_log_capture();           // idempotent; routes llama.cpp/ggml logs through us
std::string last_log_error();          // the most recent ERROR (or WARN if no error) line
void clear_log_error();
void set_log_echo(bool echo);          // also print every log line to stderr (RRM_DEBUG)
}
