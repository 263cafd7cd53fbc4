add_library(murmur_warnings INTERFACE)
target_compile_options(murmur_warnings INTERFACE
  "$<$<COMPILE_LANGUAGE:CXX>:-Wall;-Wextra;-Wpedantic;-Wshadow=local;-Wnon-virtual-dtor;-Woverloaded-virtual;-Wimplicit-fallthrough>"
  "$<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${MURMUR_WERROR}>>:-Werror>"
  # nvcc: warnings of the host compiler too, and errors with MURMUR_WERROR.
  "$<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>"
  "$<$<AND:$<COMPILE_LANGUAGE:CUDA>,$<BOOL:${MURMUR_WERROR}>>:-Werror=all-warnings>")

# murmur_add_library(gossip SRCS ... DEPS ... PRIVATE_DEPS ...)
function(murmur_add_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SRCS;DEPS;PRIVATE_DEPS")
  add_library(murmur_${name} STATIC ${arg_SRCS})
  add_library(murmur::${name} ALIAS murmur_${name})
  target_compile_features(murmur_${name} PUBLIC cxx_std_17)
  target_include_directories(murmur_${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(murmur_${name} PUBLIC ${arg_DEPS} PRIVATE ${arg_PRIVATE_DEPS} murmur_warnings)
endfunction()

# murmur_add_test(name LABELS ... SRCS ... DEPS ...): one GoogleTest binary, tests discovered at
# test time so a build never runs LibTorch start-up.
function(murmur_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "LABELS;SRCS;DEPS")
  add_executable(${name} ${arg_SRCS})
  target_link_libraries(${name} PRIVATE ${arg_DEPS} murmur::tests GTest::gtest_main GTest::gmock murmur_warnings)
  include(GoogleTest)
  # One label per binary: gtest_discover_tests (CMake 3.25) flattens list-valued properties, so
  # "unit;tsan" would silently become the label "unit" and a stray property.
  list(LENGTH arg_LABELS label_count)
  if(NOT label_count EQUAL 1)
    message(FATAL_ERROR "murmur_add_test(${name}): give exactly one label, got '${arg_LABELS}'")
  endif()
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS ${arg_LABELS} TIMEOUT 600)
endfunction()
