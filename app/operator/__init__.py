"""The operator's console (情報銀行 運営): staff accounts and the job queue; recipients and the ledger later."""
