"""Interop tier: real third-party Jupyter clients (JupyterLab's @jupyterlab/services in Node, a
stock jupyter_server as a gateway front, jupyter_kernel_client) against a real livedoc server."""
