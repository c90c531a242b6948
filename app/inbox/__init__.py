"""The resident's inbox: notices (お知らせ) that recipients send back under the consent that let them."""
