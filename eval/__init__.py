"""PlanQA's evaluation suite: the Q/A datasets (`*.jsonl`), their loading and checking (`dataset`),
the metrics (`metrics`), running PlanQA and the baselines over a dataset (`runner`, `peers`,
`ablations`), the optional LLM judge (`judge`), the gate (`gate`, `gate.toml`) and the reports
(`report`, `charts`). Run it with `python -m eval`; nothing imports `eval`."""
