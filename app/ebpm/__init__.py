"""EBPM for 柏市 (docs/ebpm.md): monthly releases of aggregates about the households that consented to the purpose
`ebpm_statistics`, read through the consent door, every figure through the disclosure control."""
