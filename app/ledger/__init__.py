"""The resident's verifiable ledger: one hash chain per resident of what happened to their data — processing by
the bank, provisions to third parties (APPI 法29条), receipts from them (法30条), consent changes, transfer steps,
deletions — with erasable payloads, a signed daily anchor, the history pages and `flask ledger verify`."""
