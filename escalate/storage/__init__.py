"""Where files live: paths, drafts, history, settings and private atomic writes."""
