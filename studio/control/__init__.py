"""MotionGate, ThermalGovernor and the LivePipeline that wires capture -> gate -> worker -> output -> sinks."""
