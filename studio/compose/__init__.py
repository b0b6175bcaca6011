"""Mask refinement (edge-aware upsampling, temporal smoothing, feather), backgrounds and blending."""
