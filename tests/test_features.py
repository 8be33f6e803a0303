from bulletin_clf.features import SpanishNormalizer, build_features, char_tfidf, fold_accents, word_tfidf


def test_fold_accents_keeps_enie():
    assert fold_accents("Año de la Secretaría, niño") == "Año de la Secretaria, niño"


def test_fold_accents_matches_nfkd_on_every_path():
    import unicodedata

    def reference(text):
        return "".join("ñ" if ch == "ñ" else "Ñ" if ch == "Ñ" else
                       "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
                       for ch in text)

    # ASCII, the table range, beyond it (U+3000+), and control characters that
    # an earlier placeholder trick turned into ñ.
    every_char_in_table = [chr(cp) for cp in range(0x80, 0x3000)]
    assert [fold_accents(ch) for ch in every_char_in_table] == [reference(ch) for ch in every_char_in_table]
    for text in ["plain", "Señor Müller — «café»", "ﬁ ① ™ \u3000ｶ 企業", "a\x00b\x01c ﬁ 　", "\x00\x01ñÑ"]:
        assert fold_accents(text) == reference(text), text


def test_normalizer_options():
    text = "Los médicos contrataron 651 especialistas en 2023"
    assert SpanishNormalizer()(text) == ["medicos", "contrataron", "0", "especialistas", "0"]
    assert SpanishNormalizer(numbers="drop")(text) == ["medicos", "contrataron", "especialistas"]
    assert SpanishNormalizer(stop_words=False, numbers="keep")(text)[:2] == ["los", "medicos"]
    assert SpanishNormalizer(strip_accents=False)(text)[0] == "médicos"
    stemmed = SpanishNormalizer(stemming=True)(text)
    assert stemmed[0] == "medic" and stemmed[2] == "0"


def test_word_and_char_union_fit():
    norm = SpanishNormalizer()
    union = build_features(word_tfidf(norm, min_df=1), char_tfidf(norm, min_df=1, ngram_range=(2, 3)))
    X = union.fit_transform(["abasto de medicamentos", "contratación de médicos"])
    assert X.shape[0] == 2 and X.shape[1] > 10
    names = union.get_feature_names_out()
    assert any(n.startswith("word__abasto") for n in names)


def test_stemmer_in_use_matches_pure_python_snowball():
    # snowballstemmer uses PyStemmer's C implementation when it is installed
    # (20x faster); a model must stem the same with either.
    from snowballstemmer.spanish_stemmer import SpanishStemmer

    from bulletin_clf.features import _stemmer

    words = ["medicamentos", "abastecimiento", "contrataciones", "enfermeras", "presencia", "licitación", "hospitalarias", "construyendo", "dándole", "inauguraron", "rehabilitación", "gobernanza", "transparencia", "especialidades"]
    words += [w.replace("ó", "o").replace("á", "a") for w in words]
    reference = SpanishStemmer()
    assert [_stemmer()(w) for w in words] == [reference.stemWord(w) for w in words]
