from adagrad_lab.commands.run import main

main()
