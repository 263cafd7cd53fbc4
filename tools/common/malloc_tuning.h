// Keeps freed model-sized buffers in the heap for the life of the process. Touching fresh pages
// costs ~50x a copy into reused memory on these machines (ENVIRONMENT.md), and libzmq allocates a
// fresh buffer for every large message it receives: with glibc's defaults (mmap above 32 MiB,
// heap trimmed at 128 KiB) every received model would land on fresh pages. mallopt() cannot raise
// the mmap threshold above 32 MiB; the GLIBC_TUNABLES variable can, but only at start-up, so the
// process re-executes itself once with it set.
#pragma once

#include <cstdlib>
#include <cstring>
#include <string>

#include <unistd.h>

namespace murmur::tools {

inline void ensureMallocTuning(char** argv) {
  const char* current = std::getenv("GLIBC_TUNABLES");
  if (current != nullptr && std::strstr(current, "glibc.malloc.mmap_threshold") != nullptr) {
    return;  // already tuned (by us or by the user)
  }
  std::string tunables =
      "glibc.malloc.mmap_threshold=4294967296:glibc.malloc.trim_threshold=17179869184";
  if (current != nullptr && *current != '\0') {
    tunables = std::string(current) + ":" + tunables;
  }
  setenv("GLIBC_TUNABLES", tunables.c_str(), 1);
  execv("/proc/self/exe", argv);
  // If re-executing fails we simply run untuned.
}

}  // namespace murmur::tools
