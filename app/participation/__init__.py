"""The resident's participation history: events joined and coupons used, as data the resident holds (わたしのデータ).

For now the resident records it (「参加した」 / 「使った」 on a card's detail page); partner shops will record check-ins
and redemptions later (`source` = ``partner:<key>``). The bank uses it for recommendations only through the consent
door, as the item 「イベント参加・クーポン利用の履歴」 (`participation_history`)."""
