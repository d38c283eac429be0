"""Pure rules of the garden: emotions, the object-key layout, request validation, prompt
templates, provenance, cursors and time formats. No I/O, no adapters: every other layer may
import these, and these import nothing of the project but ``errors``."""
