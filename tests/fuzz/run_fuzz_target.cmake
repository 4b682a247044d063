# One fuzz.<target> ctest entry (tests/fuzz/CMakeLists.txt): fuzzes BINARY
# for SECONDS over a fresh copy of the seeds in WORK, so that new inputs
# never land in the repository. Fails on any finding (a crash, a sanitizer
# report, a broken property, a leak, an input slower than 10 s).
#   cmake -DBINARY=... -DSEEDS=dir -DEXTRA_SEEDS=glob -DWORK=dir -DARTIFACTS=dir
#         -DMAX_LEN=n -DDICTIONARY=file|"" -DSECONDS=n -P run_fuzz_target.cmake

if(NOT EXISTS "${BINARY}")
  message(FATAL_ERROR "${BINARY} does not exist: build the fuzz tree first (scripts/test does)")
endif()

# The seeds, copied afresh each run.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}" "${ARTIFACTS}")
file(GLOB seeds "${SEEDS}/*")
if(EXTRA_SEEDS)
  file(GLOB extra "${EXTRA_SEEDS}")
  list(APPEND seeds ${extra})
endif()
if(seeds)
  file(COPY ${seeds} DESTINATION "${WORK}")
endif()

set(options -max_total_time=${SECONDS} -max_len=${MAX_LEN} -timeout=10 -print_final_stats=1
  -artifact_prefix=${ARTIFACTS}/)
if(DICTIONARY)
  list(APPEND options -dict=${DICTIONARY})
endif()

list(JOIN options " " shown)
message(STATUS "${BINARY} ${shown} ${WORK}")
execute_process(COMMAND "${BINARY}" ${options} "${WORK}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "fuzzing found something (exit status ${status}); "
    "the input is in ${ARTIFACTS}/, reproduce it with: ${BINARY} <that file>")
endif()
