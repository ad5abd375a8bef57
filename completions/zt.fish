complete --keep-order --exclusive --command zt --arguments "(ZT_COMPLETE=fish zt -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
