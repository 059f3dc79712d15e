"""The ``escalate new`` run, in order: evidence, questions, capture, scrubbing, review, assembly."""
