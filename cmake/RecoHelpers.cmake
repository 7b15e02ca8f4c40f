# reco_add_library(NAME SOURCES... [DEPS ...] [TORCH])
#   One static library per subsystem. TORCH links LibTorch and reuses one shared precompiled header,
#   because each translation unit that parses <torch/torch.h> costs ~30 s here.
function(reco_add_library name)
  cmake_parse_arguments(ARG "TORCH" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  if(ARG_TORCH)
    reco_use_torch(${name})
  endif()
endfunction()

# Links LibTorch and the shared torch precompiled header into a target.
function(reco_use_torch target)
  target_link_libraries(${target} PUBLIC ${TORCH_LIBRARIES})
  if(NOT TARGET reco_torch_pch)
    add_library(reco_torch_pch STATIC ${PROJECT_SOURCE_DIR}/cmake/torch_pch.cc)
    target_link_libraries(reco_torch_pch PUBLIC ${TORCH_LIBRARIES})
    target_precompile_headers(reco_torch_pch PRIVATE <torch/torch.h>)
  endif()
  get_target_property(type ${target} TYPE)
  target_precompile_headers(${target} REUSE_FROM reco_torch_pch)
endfunction()

# reco_add_test(NAME SOURCES... [DEPS ...] [TORCH] [LABELS ...] [TIMEOUT s])
function(reco_add_test name)
  cmake_parse_arguments(ARG "TORCH" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main Threads::Threads)
  if(ARG_TORCH)
    reco_use_torch(${name})
  endif()
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}"
                       ENVIRONMENT "RECO_BIN_DIR=${CMAKE_BINARY_DIR}/bin;RECO_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# reco_add_proto_library(NAME PROTOS a.proto... [GRPC] [ROOT dir] [DEPS ...])
#   Compiles .proto files (paths relative to the current source dir) into a static library. The proto root is
#   ${PROJECT_SOURCE_DIR}/src, so a file src/serving/proto/x.proto is imported as "serving/proto/x.proto" and its
#   generated header is included as "serving/proto/x.pb.h". GRPC also runs grpc_cpp_plugin (x.grpc.pb.h) and
#   links gRPC::grpc++. DEPS are other proto libraries whose .proto files these import.
#   ROOT (default ${PROJECT_SOURCE_DIR}/src) overrides the proto root for files that must keep foreign import
#   paths (TF Serving's "tensorflow_serving/apis/predict.proto"); src/ stays on the import path after it.
function(reco_add_proto_library name)
  cmake_parse_arguments(ARG "GRPC" "ROOT" "PROTOS;DEPS" ${ARGN})
  set(proto_root ${PROJECT_SOURCE_DIR}/src)
  if(ARG_ROOT)
    get_filename_component(proto_root ${ARG_ROOT} ABSOLUTE)
  endif()
  set(out_root ${CMAKE_BINARY_DIR}/proto_gen)
  set(srcs)
  foreach(proto ${ARG_PROTOS})
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${proto_root} ${abs})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(outs ${out_root}/${stem}.pb.cc ${out_root}/${stem}.pb.h)
    set(plugin_args)
    set(plugin_deps)
    if(ARG_GRPC)
      find_program(RECO_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
      list(APPEND outs ${out_root}/${stem}.grpc.pb.cc ${out_root}/${stem}.grpc.pb.h)
      set(plugin_args --grpc_out=${out_root} --plugin=protoc-gen-grpc=${RECO_GRPC_CPP_PLUGIN})
      set(plugin_deps ${RECO_GRPC_CPP_PLUGIN})
    endif()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_root}
      COMMAND protobuf::protoc --proto_path=${proto_root} --proto_path=${PROJECT_SOURCE_DIR}/src
              --cpp_out=${out_root} ${plugin_args} ${abs}
      DEPENDS ${abs} protobuf::protoc ${plugin_deps}
      COMMENT "protoc ${rel}"
      VERBATIM)
    list(FILTER outs INCLUDE REGEX "\\.cc$")
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} SYSTEM PUBLIC ${out_root})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  if(ARG_GRPC)
    target_link_libraries(${name} PUBLIC gRPC::grpc++)
  endif()
  # Generated code is not ours to lint.
  target_compile_options(${name} PRIVATE -w)
endfunction()
