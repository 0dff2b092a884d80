from neardup.cli import main

if __name__ == "__main__":  # worker processes (fork server or spawn) import this module too
    main()
