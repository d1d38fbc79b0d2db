# Writes build_info.hpp with the commit the sources are at now. Run at every build (not only at configure time),
# so a result file never names an older commit than the code that measured it; configure_file leaves the file
# alone when nothing changed, so nothing recompiles.
# In: SOURCE_DIR, TEMPLATE, OUTPUT, PROJECT_VERSION, CMAKE_BUILD_TYPE, IPCBENCH_CXX_FLAGS, CMAKE_CXX_COMPILER_ID,
# CMAKE_CXX_COMPILER_VERSION.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE IPCBENCH_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE IPCBENCH_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT IPCBENCH_GIT_COMMIT)
  set(IPCBENCH_GIT_COMMIT "unknown")
elseif(IPCBENCH_GIT_DIRTY)
  set(IPCBENCH_GIT_COMMIT "${IPCBENCH_GIT_COMMIT}-dirty")
endif()
configure_file(${TEMPLATE} ${OUTPUT} @ONLY)
