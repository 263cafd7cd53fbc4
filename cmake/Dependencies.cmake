# Every third-party package murmur uses, all from Debian 12 (see tools/dev/setup.sh).
find_package(Threads REQUIRED)
find_package(Torch REQUIRED)
find_package(cppzmq REQUIRED)
find_package(CapnProto REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)  # the lossless codec
find_package(Boost 1.74 REQUIRED CONFIG)  # Asio and Beast, header-only: Boost::headers
if(MURMUR_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

# LibTorch's exported target carries flags we do not want globally; wrap it once.
add_library(murmur_torch INTERFACE)
target_link_libraries(murmur_torch INTERFACE ${TORCH_LIBRARIES})
target_include_directories(murmur_torch SYSTEM INTERFACE ${TORCH_INCLUDE_DIRS})
