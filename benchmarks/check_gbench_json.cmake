# Smoke test of ipcbench_gbench: runs a few benchmarks briefly, then checks that the JSON it wrote parses
# and holds every named benchmark without an error. CMake itself parses the JSON (string(JSON), 3.19+),
# so the test needs nothing ctest does not already have.
#   cmake -DGBENCH=<binary> -DOUT=<json file> -DNAMES=pingpong/shm/spin/64,micro/null_syscall -P check_gbench_json.cmake
cmake_minimum_required(VERSION 3.20)  # policies of this era: IN_LIST, string(JSON)
foreach(var GBENCH OUT NAMES)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_gbench_json: -D${var}=... is required")
  endif()
endforeach()
string(REPLACE "," ";" names "${NAMES}")
string(REPLACE "," "|" alternatives "${NAMES}")

file(REMOVE "${OUT}")
# Manual-time benchmarks carry a "/manual_time" suffix in their full names.
execute_process(
  COMMAND "${GBENCH}" "--benchmark_filter=^(${alternatives})(/manual_time)?$" --benchmark_min_time=0.05
          --benchmark_format=json "--benchmark_out=${OUT}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_gbench_json: ${GBENCH} exited with ${rc}")
endif()
if(NOT EXISTS "${OUT}")
  message(FATAL_ERROR "check_gbench_json: ${GBENCH} wrote no ${OUT}")
endif()

file(READ "${OUT}" json)
string(JSON count ERROR_VARIABLE json_error LENGTH "${json}" benchmarks)
if(json_error)
  message(FATAL_ERROR "check_gbench_json: ${OUT} is not a Google Benchmark JSON file: ${json_error}")
endif()
if(count EQUAL 0)
  message(FATAL_ERROR "check_gbench_json: ${OUT} lists no benchmarks (filter matched nothing?)")
endif()

math(EXPR last "${count} - 1")
set(seen "")
foreach(i RANGE ${last})
  string(JSON name GET "${json}" benchmarks ${i} name)
  string(REGEX REPLACE "/manual_time$" "" short "${name}")
  list(APPEND seen "${short}")
  string(JSON failed ERROR_VARIABLE no_flag GET "${json}" benchmarks ${i} error_occurred)
  if(NOT no_flag AND failed)
    string(JSON why ERROR_VARIABLE no_message GET "${json}" benchmarks ${i} error_message)
    message(FATAL_ERROR "check_gbench_json: ${name} failed: ${why}")
  endif()
  string(JSON iterations GET "${json}" benchmarks ${i} iterations)
  if(iterations LESS 1)
    message(FATAL_ERROR "check_gbench_json: ${name} ran ${iterations} iterations")
  endif()
endforeach()

foreach(want IN LISTS names)
  if(NOT want IN_LIST seen)
    message(FATAL_ERROR "check_gbench_json: ${want} is missing from ${OUT} (have: ${seen})")
  endif()
endforeach()
message(STATUS "check_gbench_json: ${count} benchmarks, all present and without errors")
