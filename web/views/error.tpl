% rebase('layout')
<p class="flash error">{{message}}</p>
<p><a href="/">{{_('Back to the dashboard')}}</a></p>
