# Every dependency comes from a Debian package; nothing is vendored.
find_package(Threads REQUIRED)
find_package(cpprestsdk REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(prometheus-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(ZLIB REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(Boost REQUIRED)

# Debian's libdeflate 1.14 ships neither a CMake package nor a pkg-config file.
find_path(LIBDEFLATE_INCLUDE_DIR libdeflate.h REQUIRED)
find_library(LIBDEFLATE_LIBRARY deflate REQUIRED)
add_library(libdeflate::libdeflate UNKNOWN IMPORTED)
set_target_properties(libdeflate::libdeflate PROPERTIES
  IMPORTED_LOCATION "${LIBDEFLATE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${LIBDEFLATE_INCLUDE_DIR}")

if(EDGEREPL_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(EDGEREPL_BENCH)
  find_package(benchmark REQUIRED)
endif()
