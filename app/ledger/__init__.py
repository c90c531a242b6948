"""Records of what happened to a resident's data. For now: receipts of personal data from third parties
(APPI 法30条 確認記録); the consent issue's hash-chained ledger takes these records over."""
