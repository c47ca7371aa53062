from adagrad_lab.cli import main

main()
