# Smoke test of ipcbench_ring_steps: a short real run must name every step in its table, with the one-line floor at
# exactly 1.000x of itself and every other ratio a positive number (or say "not available here" on one CPU); bad
# input must be refused with exit status 2 and a line naming the option.
#   cmake -DSTEPS=<binary> -P check_ring_steps.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT DEFINED STEPS)
  message(FATAL_ERROR "check_ring_steps: -DSTEPS=... is required")
endif()

execute_process(COMMAND "${STEPS}" --rounds 2 --round-trips 2000 --size 64
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ipcbench_ring_steps exited with ${rc}: ${err}")
endif()
if(NOT out MATCHES "not available here")
  foreach(step "one-line" "two-line" "\\+ payload" "\\+ two slots" "\\+ tail" "\\+ harness work" "\\+ calls"
          "shm send/recv" "unstaged TransportOps" "shm via TransportOps" "one line \\+ payload"
          "shm in place, Ops")
    if(NOT out MATCHES "\n${step} +[0-9]+\\.[0-9] +[0-9]+\\.[0-9] +[0-9]+\\.[0-9]+x +[0-9]+\\.[0-9]+x\n")
      message(FATAL_ERROR "no table row for step '${step}' in:\n${out}")
    endif()
  endforeach()
  if(NOT out MATCHES "\none-line +[0-9.]+ +[0-9.]+ +1\\.000x +1\\.000x\n")
    message(FATAL_ERROR "the one-line floor is not 1.000x of itself:\n${out}")
  endif()
  if(out MATCHES " 0\\.000x")
    message(FATAL_ERROR "a step measured as taking no time:\n${out}")
  endif()
endif()

foreach(bad "--size;0;--size" "--size;1001;--size" "--cpus;0:0;--cpus" "--round-trips;10;--round-trips")
  list(GET bad 0 option)
  list(GET bad 1 value)
  list(GET bad 2 named)
  execute_process(COMMAND "${STEPS}" ${option} ${value} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 2 OR NOT err MATCHES "error: ${named}")
    message(FATAL_ERROR "${option} ${value}: want exit status 2 and an error naming ${named}, got ${rc}: ${err}${out}")
  endif()
endforeach()
