"""What runs inside the sandbox container: ``server.py`` (standard library only), plus
``build.py``, the host-side image builder (standard library only, so CI can run it before any
dependency is installed). Only ``server.py`` and the world engine are copied into the image."""
