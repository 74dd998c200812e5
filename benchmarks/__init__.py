"""PlanQA benchmarks: speed and scale against the physical floor (one embedding). Not tests;
`python -m benchmarks --help`. Results go to benchmarks/results/*.json."""
