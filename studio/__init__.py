"""Studio: live background replacement for cameras on edge boxes.

The package is layered (see DESIGN.md): core <- config, models <- inference, capture, compose, output, telemetry
<- control, stills <- server <- ui <- cli. Only ``studio.ui`` imports Qt; runtimes are imported lazily.
"""

__version__ = "0.1.0"
