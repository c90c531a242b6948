"""柏市's delegated disclosure (開示請求の委任): the resident mandates the bank to ask 柏市 for their records of
子育て関連の行政サービス利用履歴, the bank sends a signed 委任状 to 柏市's system (the `kashiwa-city` peer in
development), follows the request through 受付, 開示決定 / 不開示 and 開示, and the resident reviews what came back
and keeps it (取込) or declines it. Kept records are the resident's data (`ServiceUsage`, わたしのデータ); the bank
uses them for recommendations only through the consent door, as the item `service_usage_history`.

Modules: `states` (the state machine), `deadline` (法83条's 30 days), `models`, `mandate` (the signed 委任状),
`city_api` (the HTTP client of 柏市's disclosure API), `services` (what residents and staff do), `sync` and `jobs`
(the worker's polling), `answers_csv` (the staff's CSV answers), `usage` (the records as resident data and for the
feed), `views` (resident pages) and `console` (the municipal console). docs/peers.md has the API, docs/city-records.md
the CSV layout.
"""
