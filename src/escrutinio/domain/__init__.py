"""Pure election logic: model, rules, tally, percent rules and bulletins; no I/O."""
