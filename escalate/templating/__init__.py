"""Template manifests, discovery (folders, git), the hardened Jinja sandbox and template checks."""
