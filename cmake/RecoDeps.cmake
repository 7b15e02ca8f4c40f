# Third-party packages, all from Debian 12.
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(RapidJSON REQUIRED)
if(NOT TARGET RapidJSON::RapidJSON)
  add_library(RapidJSON::RapidJSON INTERFACE IMPORTED)
  set_target_properties(RapidJSON::RapidJSON PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${RapidJSON_INCLUDE_DIRS}")
endif()

# ONNX's CMake package needs protobuf found first; Debian builds it with ONNX_ML=1.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)
# gRPC (Debian's CMake package): gRPC::grpc++, gRPC::grpc++_reflection, grpc_cpp_plugin.
find_package(gRPC CONFIG REQUIRED)
if(NOT TARGET reco_onnx_proto)
  add_library(reco_onnx_proto INTERFACE)
  target_link_libraries(reco_onnx_proto INTERFACE onnx onnx_proto protobuf::libprotobuf)
  target_compile_definitions(reco_onnx_proto INTERFACE ONNX_ML=1 ONNX_NAMESPACE=onnx)
endif()

# oneDNN's CMake config insists on OpenCL (Debian builds its GPU runtime); we only use the CPU engine,
# so locate the library and header directly.
find_library(DNNL_LIBRARY dnnl REQUIRED)
find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp REQUIRED)
add_library(reco_dnnl INTERFACE)
target_link_libraries(reco_dnnl INTERFACE ${DNNL_LIBRARY})
target_include_directories(reco_dnnl SYSTEM INTERFACE ${DNNL_INCLUDE_DIR})

# OpenBLAS (Debian's pthread flavour): cblas_sgemm for the engine's GEMM/Conv kernels; allocation-free per call.
find_library(OPENBLAS_LIBRARY openblas REQUIRED)
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATH_SUFFIXES x86_64-linux-gnu/openblas-pthread openblas-pthread openblas REQUIRED)
add_library(reco_openblas INTERFACE)
target_link_libraries(reco_openblas INTERFACE ${OPENBLAS_LIBRARY})
target_include_directories(reco_openblas SYSTEM INTERFACE ${OPENBLAS_INCLUDE_DIR})

# RocksDB (Debian's librocksdb-dev), the online recommender's embedded store. Its CMake package's default target is
# the static library, which drags gflags/Snappy/lz4/zstd lookups into our configure; the shared library carries its
# own dependencies, so link that directly.
find_library(ROCKSDB_LIBRARY rocksdb REQUIRED)
find_path(ROCKSDB_INCLUDE_DIR rocksdb/db.h REQUIRED)
add_library(reco_rocksdb INTERFACE)
target_link_libraries(reco_rocksdb INTERFACE ${ROCKSDB_LIBRARY})
target_include_directories(reco_rocksdb SYSTEM INTERFACE ${ROCKSDB_INCLUDE_DIR})

if(RECO_WITH_TORCH)
  find_package(Torch REQUIRED)
endif()

if(RECO_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(RECO_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
