module early.ml-connector.invalid/localeinit

go 1.26
