# Installed on PYTHONPATH by labkit.testing.no_network.child_environment(): child Pythons (notebook
# kernels run by tests and by the grader) turn on the network guard when LABKIT_NO_NETWORK=1.
import os

if os.environ.get("LABKIT_NO_NETWORK") == "1":
    try:
        from labkit.testing.no_network import install

        install()
    except Exception as exc:  # noqa: BLE001 - never stop a kernel from starting; say why the guard is off
        import sys

        print(f"labkit: network guard not installed in this process: {exc}", file=sys.stderr)
