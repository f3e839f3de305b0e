/*
 * corpus_main.c - the executable of the "shared" link mode of the corpus:
 * the test program itself is built as a shared object with
 * -Dmain=sc_corpus_main, so all of its keys, sites and trampolines live in
 * a shared library; this executable only calls it.
 */
int sc_corpus_main(int argc, char **argv);

int main(int argc, char **argv)
{
	return sc_corpus_main(argc, argv);
}
