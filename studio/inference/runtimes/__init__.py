"""The runtimes behind the Backend protocol, one module each: ONNX Runtime (onnxruntime.py) and OpenVINO
(openvino.py). Each imports its runtime inside ``load``/``available_devices`` only, so importing this package costs
nothing and a missing runtime is a BackendUnavailable with an install hint. TensorRT is a registered name in
studio.inference.registry with a "not installed" answer until its backend lands here.

Nothing outside studio.inference opens a backend directly: use ``studio.inference.open_segmenter``."""
