// Force-included in the portable Linux build (CMakeLists.txt). GCC 12's libstdc++ added a new
// version of condition_variable::wait (GLIBCXX_3.4.30); binding our calls to the old one (3.4.11,
// same behaviour) keeps the addon loadable with GCC 11's libstdc++ (RHEL 9, Ubuntu 20.04 PPAs).
// llama.cpp's libraries need no newer than GLIBCXX_3.4.29 either; see scripts/prebuild.mjs,
// which reads the versions the staged files import.
#pragma once
#if defined(__cplusplus) && __has_include(<bits/c++config.h>)
#include <bits/c++config.h>  // defines __GLIBCXX__ when the library is libstdc++
#endif
#if defined(__cplusplus) && defined(__linux__) && defined(__GLIBCXX__) && (defined(__x86_64__) || defined(__aarch64__))
__asm__(".symver _ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE,_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE@GLIBCXX_3.4.11");
#endif
