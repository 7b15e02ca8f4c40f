#!/usr/bin/python3
"""A TF Serving-style Python gRPC client against reco-model-server.

Stubs are generated at test time from reco's own protos (src/serving/proto) with Debian's protoc and
grpc_python_plugin, into a temp dir: `from tensorflow_serving.apis import predict_pb2` then works exactly as with
the tensorflow-serving-api package. Serves the torch-exported seed and DIN models and checks Predict against
torch's outputs (1e-5), GetModelMetadata, GetModelStatus, the standard health service and server reflection.

Usage: grpc_python_client_test.py SOURCE_DIR BIN_DIR   (env RECO_MODELS_DIR: the models_generate output)
Exits 77 (skip) when grpcio/numpy/onnx, protoc's Python plugin or the reference models are missing.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def skip(why):
    print("SKIP:", why)
    sys.exit(SKIP)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate_stubs(source_dir, out_dir):
    proto_root = os.path.join(source_dir, "src", "serving", "proto")
    protos = []
    for top in ("tensorflow", "tensorflow_serving"):
        for dirpath, _, files in os.walk(os.path.join(proto_root, top)):
            protos += [os.path.relpath(os.path.join(dirpath, f), proto_root) for f in files if f.endswith(".proto")]
    # Debian's protoc + grpc_python_plugin (protobuf-compiler-grpc, a build dependency) match the installed
    # python3-protobuf; python3-grpc-tools (bundling an older protoc) is the fallback.
    plugin = shutil.which("grpc_python_plugin")
    if shutil.which("protoc") and plugin:
        protoc, plugin_args = ["protoc"], ["--plugin=protoc-gen-grpc_python=" + plugin]
    else:
        try:
            import grpc_tools.protoc  # noqa: F401
        except ImportError:
            skip("neither protoc + grpc_python_plugin nor python3-grpc-tools is installed")
        protoc, plugin_args = [sys.executable, "-m", "grpc_tools.protoc"], []
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    common = protoc + ["-I", proto_root, "-I", os.path.join(source_dir, "src"), "--python_out", out_dir]
    subprocess.run(common + ["--grpc_python_out", out_dir] + plugin_args + protos, check=True)
    subprocess.run(common + ["serving/proto/model_server_config.proto"], check=True)
    # Package markers so that `tensorflow_serving.apis` and `serving.proto` import as packages.
    for dirpath, _, _ in os.walk(out_dir):
        open(os.path.join(dirpath, "__init__.py"), "a").close()
    sys.path.insert(0, out_dir)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    source_dir, bin_dir = sys.argv[1], sys.argv[2]
    try:
        import grpc
        import numpy as np
        import onnx
        import onnx.numpy_helper
    except ImportError as e:
        skip(f"{sys.executable} lacks grpcio/numpy/onnx ({e})")
    models = os.environ.get("RECO_MODELS_DIR", "")
    if not os.path.exists(os.path.join(models, "COMPLETE")):
        skip("RECO_MODELS_DIR/COMPLETE missing (models_generate fixture skipped)")
    server_bin = os.path.join(bin_dir, "reco-model-server")
    if not os.path.exists(server_bin):
        skip(server_bin + " not built")

    work = tempfile.mkdtemp(prefix="reco_grpc_py_")
    server = None
    channel = None
    try:
        generate_stubs(source_dir, os.path.join(work, "stubs"))
        from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, predict_pb2
        from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

        seed = os.path.join(models, "seed")
        din = os.path.join(models, "din")
        os.makedirs(os.path.join(work, "din_model", "1"))
        os.makedirs(os.path.join(work, "din_real", "1"))
        shutil.copy(os.path.join(seed, "model.onnx"), os.path.join(work, "din_model", "1", "model.onnx"))
        shutil.copy(os.path.join(din, "model.onnx"), os.path.join(work, "din_real", "1", "model.onnx"))
        config = os.path.join(work, "models.config")
        with open(config, "w") as f:
            f.write('model_config_list: {\n  config: {\n    name: "dIN_model",\n'
                    f'    base_path: "{os.path.join(work, "din_model")}",\n'
                    '    model_platform: "onnx", # the model is ONNX\n  },\n'
                    f'  config: {{ name: "din", base_path: "{os.path.join(work, "din_real")}", '
                    'model_platform: "onnx" }\n}\n')
        port = free_port()
        server = subprocess.Popen([server_bin, f"--port={port}", "--rest_api_port=0", f"--model_config_file={config}"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # The gRPC port opens once the first models are loaded. Waiting for it with plain TCP connects keeps the
        # channel out of gRPC's reconnect backoff (seconds) that a too-early first call would trigger.
        deadline = time.time() + 60
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if server.poll() is not None:
                raise RuntimeError("reco-model-server exited: " + server.stdout.read().decode()[-2000:])
            if time.time() > deadline:
                raise RuntimeError("reco-model-server did not open its gRPC port in 60 s")
            time.sleep(0.05)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")

        # Standard health service, raw bytes: HealthCheckRequest{} -> HealthCheckResponse{status: SERVING(1)}.
        health = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
                                     response_deserializer=lambda b: b)
        assert health(b"", timeout=10) == b"\x08\x01", "health: not SERVING"
        service = b"tensorflow.serving.PredictionService"
        health_predict = bytes([0x0A, len(service)]) + service  # HealthCheckRequest{service: ...}
        assert health(health_predict, timeout=10) == b"\x08\x01", "health(PredictionService): not SERVING"

        # Reflection: ServerReflectionRequest{list_services: ""} (field 7) lists both TF Serving services.
        reflect = channel.stream_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                        request_serializer=lambda b: b, response_deserializer=lambda b: b)
        listing = b"".join(reflect(iter([b"\x3a\x00"]), timeout=5))
        for name in (b"tensorflow.serving.PredictionService", b"tensorflow.serving.ModelService"):
            assert name in listing, f"reflection does not list {name}: {listing!r}"

        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        checked = 0
        for k in range(3):
            data = os.path.join(seed, f"test_data_set_{k}")
            req = predict_pb2.PredictRequest()
            req.model_spec.name = "dIN_model"
            req.model_spec.signature_name = "serving_default"
            for i in range(2):
                t = onnx.TensorProto()
                with open(os.path.join(data, f"input_{i}.pb"), "rb") as f:
                    t.ParseFromString(f.read())
                arr = onnx.numpy_helper.to_array(t).astype(np.float32)
                tp = req.inputs[t.name]
                tp.dtype = 1  # DT_FLOAT
                for d in arr.shape:
                    tp.tensor_shape.dim.add().size = d
                if i == 0:
                    tp.tensor_content = arr.tobytes()  # what tf.make_tensor_proto sends
                else:
                    tp.float_val.extend(arr.ravel().tolist())  # what hand-written clients send
            out = onnx.TensorProto()
            with open(os.path.join(data, "output_0.pb"), "rb") as f:
                out.ParseFromString(f.read())
            want = onnx.numpy_helper.to_array(out)
            resp = stub.Predict(req, timeout=10)
            got = np.array(resp.outputs["output"].float_val, dtype=np.float32).reshape(
                [d.size for d in resp.outputs["output"].tensor_shape.dim])
            assert got.shape == want.shape, (got.shape, want.shape)
            err = float(np.max(np.abs(got - want)))
            assert err <= 1e-5, f"test set {k}: max |reco - torch| = {err}"
            assert resp.model_spec.version.value == 1
            checked += got.size

        # The DIN-style model: int64 id inputs (int64_val / tensor_content) next to a float mask.
        tf_dtype = {np.dtype("float32"): 1, np.dtype("int64"): 9}
        for k in range(3):
            data = os.path.join(din, f"test_data_set_{k}")
            req = predict_pb2.PredictRequest()
            req.model_spec.name = "din"
            for i in range(5):
                t = onnx.TensorProto()
                with open(os.path.join(data, f"input_{i}.pb"), "rb") as f:
                    t.ParseFromString(f.read())
                arr = onnx.numpy_helper.to_array(t)
                tp = req.inputs[t.name]
                tp.dtype = tf_dtype[arr.dtype]
                for d in arr.shape:
                    tp.tensor_shape.dim.add().size = d
                if arr.dtype == np.int64 and i % 2 == 0:
                    tp.int64_val.extend(arr.ravel().tolist())
                else:
                    tp.tensor_content = arr.tobytes()
            out = onnx.TensorProto()
            with open(os.path.join(data, "output_0.pb"), "rb") as f:
                out.ParseFromString(f.read())
            want = onnx.numpy_helper.to_array(out)
            resp = stub.Predict(req, timeout=10)
            got = np.array(resp.outputs["prob"].float_val, dtype=np.float32).reshape(
                [d.size for d in resp.outputs["prob"].tensor_shape.dim])
            assert got.shape == want.shape, (got.shape, want.shape)
            err = float(np.max(np.abs(got - want)))
            assert err <= 1e-5, f"din test set {k}: max |reco - torch| = {err}"
            checked += got.size

        try:
            bad = predict_pb2.PredictRequest()
            bad.model_spec.name = "no_such_model"
            stub.Predict(bad, timeout=5)
            raise AssertionError("unknown model did not fail")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.NOT_FOUND, e

        meta_req = get_model_metadata_pb2.GetModelMetadataRequest()
        meta_req.model_spec.name = "dIN_model"
        meta_req.metadata_field.append("signature_def")
        meta = stub.GetModelMetadata(meta_req, timeout=5)
        sigs = get_model_metadata_pb2.SignatureDefMap()
        assert meta.metadata["signature_def"].Unpack(sigs)
        sig = sigs.signature_def["serving_default"]
        assert sorted(sig.inputs) == ["item_input", "user_input"], list(sig.inputs)
        assert [d.size for d in sig.inputs["user_input"].tensor_shape.dim] == [-1, 8]
        assert list(sig.outputs) == ["output"]

        status_req = get_model_status_pb2.GetModelStatusRequest()
        status_req.model_spec.name = "dIN_model"
        status = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(status_req, timeout=5)
        assert len(status.model_version_status) == 1
        assert status.model_version_status[0].version == 1
        assert status.model_version_status[0].state == get_model_status_pb2.ModelVersionStatus.AVAILABLE

        print(f"OK: Predict (seed + DIN, 3 test sets each, {checked} scores) within 1e-5 of torch; metadata, status, "
              "health, reflection")
        return 0
    finally:
        if channel is not None:
            channel.close()
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
