from fallback.cli import main

main()
